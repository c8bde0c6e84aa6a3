"""Schema 'example' compiled by fastjsonschema: written by ``python -m rt2data.schemas._compiled``, not by hand."""
# fmt: off
# flake8: noqa
# ruff: noqa

SCHEMA = 'example'
SCHEMA_DIGEST = '099ed1b18ce5396aae54b268a33a451c9203625e72b68d100a3fcfba4ca7e33a'

VERSION = "2.22.3"
from decimal import Decimal
import re
from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException


REGEX_PATTERNS = {
    '^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$': re.compile('^[A-Za-z0-9][A-Za-z0-9_-]{0,199}\\Z')
}

NoneType = type(None)

def validate_https___rt2data_dev_schemas_example_schema_json(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object", value=data, name="" + (name_prefix or "data") + "", definition={'$id': 'https://rt2data.dev/schemas/example.schema.json', 'title': 'rt2data training example', 'description': "One training example (robot action, caption or VQA), as stored in the KEY.json member of a WebDataset shard and in the features of a TFRecord shard. The image itself is stored beside it (KEY.<image_format> in a tar, feature 'image' in a TFRecord). Mirrored in code by rt2data.example.Example.", 'type': 'object', 'additionalProperties': False, 'required': ['key', 'image_format', 'prompt', 'target', 'kind', 'source', 'template_id'], 'properties': {'key': {'type': 'string', 'description': 'Unique key of the example within an output; safe as a tar member stem (no dots, no slashes).', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$'}, 'image_format': {'type': 'string', 'description': 'Encoding of the image bytes, also the tar member extension.', 'enum': ['jpg', 'png', 'webp', 'gif', 'bmp', 'tiff']}, 'prompt': {'type': 'string', 'minLength': 1, 'description': 'Text the model reads (after the image).'}, 'target': {'type': 'string', 'minLength': 1, 'description': 'Text the model is trained to write.'}, 'kind': {'type': 'string', 'enum': ['action', 'caption', 'vqa']}, 'source': {'type': 'string', 'minLength': 1, 'description': 'Name of the dataset or mixture source the example came from.'}, 'template_id': {'type': 'string', 'minLength': 1, 'description': "Id of the prompt template that produced 'prompt'."}, 'instruction': {'type': ['string', 'null'], 'description': 'Normalized task instruction (action examples).'}, 'episode_id': {'type': ['string', 'null'], 'description': 'Stable episode id (action examples).'}, 'step': {'type': ['integer', 'null'], 'minimum': 0, 'description': 'Step index within the episode (action examples).'}, 'action_raw': {'type': ['array', 'null'], 'items': {'type': 'number'}, 'description': "Canonical action in the dataset's own units, one number per action-space dimension."}, 'action_tokens': {'type': ['array', 'null'], 'items': {'type': 'integer', 'minimum': 0}, 'description': "Bin index per action-space dimension; the target's action string renders these."}, 'plan': {'type': ['string', 'null'], 'description': "Chain-of-thought plan, when the target is 'Plan: ... Action: ...'."}, 'chunk_steps': {'type': 'integer', 'minimum': 2, 'description': 'Action chunk (convert --action-chunk H): H, the steps t..t+H-1 whose actions the target holds; action_raw and action_tokens then hold H x D values, step-major. Absent for one action.'}, 'chunk_real': {'type': 'integer', 'minimum': 1, 'description': "How many of the chunk's steps are real; past the episode end the final action repeats."}, 'input_ids': {'type': 'array', 'items': {'type': 'integer', 'minimum': 0}, 'description': "Token ids of [BOS] + prompt + ' ' + target + [EOS] in the tokenizer the manifest names (convert/mix --tokenizer)."}, 'labels': {'type': 'array', 'items': {'type': 'integer', 'minimum': -100}, 'description': "input_ids with BOS and the prompt's ids set to -100 (ignored by the loss)."}}, 'allOf': [{'if': {'properties': {'kind': {'const': 'action'}}}, 'then': {'required': ['episode_id', 'step', 'action_raw', 'action_tokens'], 'properties': {'episode_id': {'type': 'string'}, 'step': {'type': 'integer'}, 'action_raw': {'type': 'array'}, 'action_tokens': {'type': 'array'}}}}]}, rule='type')
    try:
        data_is_dict = isinstance(data, dict)
        if data_is_dict:
            data_keys = set(data.keys())
            if "kind" in data_keys:
                data_keys.remove("kind")
                data__kind = data["kind"]
                if not (isinstance(data__kind, str) and data__kind == 'action'):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".kind must be same as const definition: action", value=data__kind, name="" + (name_prefix or "data") + ".kind", definition={'const': 'action'}, rule='const')
    except (JsonSchemaValueException, JsonSchemaValuesException):
        pass
    else:
        data_is_dict = isinstance(data, dict)
        if data_is_dict:
            data__missing_keys = set(['episode_id', 'step', 'action_raw', 'action_tokens']) - data.keys()
            if data__missing_keys:
                raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain " + (str(sorted(data__missing_keys)) + " properties"), value=data, name="" + (name_prefix or "data") + "", definition={'required': ['episode_id', 'step', 'action_raw', 'action_tokens'], 'properties': {'episode_id': {'type': 'string'}, 'step': {'type': 'integer'}, 'action_raw': {'type': 'array'}, 'action_tokens': {'type': 'array'}}}, rule='required')
            data_keys = set(data.keys())
            if "episode_id" in data_keys:
                data_keys.remove("episode_id")
                data__episodeid = data["episode_id"]
                if not isinstance(data__episodeid, (str)):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".episode_id must be string", value=data__episodeid, name="" + (name_prefix or "data") + ".episode_id", definition={'type': 'string'}, rule='type')
            if "step" in data_keys:
                data_keys.remove("step")
                data__step = data["step"]
                if not isinstance(data__step, (int)) and not (isinstance(data__step, float) and data__step.is_integer()) or isinstance(data__step, bool):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".step must be integer", value=data__step, name="" + (name_prefix or "data") + ".step", definition={'type': 'integer'}, rule='type')
            if "action_raw" in data_keys:
                data_keys.remove("action_raw")
                data__actionraw = data["action_raw"]
                if not isinstance(data__actionraw, (list, tuple)):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".action_raw must be array", value=data__actionraw, name="" + (name_prefix or "data") + ".action_raw", definition={'type': 'array'}, rule='type')
            if "action_tokens" in data_keys:
                data_keys.remove("action_tokens")
                data__actiontokens = data["action_tokens"]
                if not isinstance(data__actiontokens, (list, tuple)):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".action_tokens must be array", value=data__actiontokens, name="" + (name_prefix or "data") + ".action_tokens", definition={'type': 'array'}, rule='type')
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data__missing_keys = set(['key', 'image_format', 'prompt', 'target', 'kind', 'source', 'template_id']) - data.keys()
        if data__missing_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain " + (str(sorted(data__missing_keys)) + " properties"), value=data, name="" + (name_prefix or "data") + "", definition={'$id': 'https://rt2data.dev/schemas/example.schema.json', 'title': 'rt2data training example', 'description': "One training example (robot action, caption or VQA), as stored in the KEY.json member of a WebDataset shard and in the features of a TFRecord shard. The image itself is stored beside it (KEY.<image_format> in a tar, feature 'image' in a TFRecord). Mirrored in code by rt2data.example.Example.", 'type': 'object', 'additionalProperties': False, 'required': ['key', 'image_format', 'prompt', 'target', 'kind', 'source', 'template_id'], 'properties': {'key': {'type': 'string', 'description': 'Unique key of the example within an output; safe as a tar member stem (no dots, no slashes).', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$'}, 'image_format': {'type': 'string', 'description': 'Encoding of the image bytes, also the tar member extension.', 'enum': ['jpg', 'png', 'webp', 'gif', 'bmp', 'tiff']}, 'prompt': {'type': 'string', 'minLength': 1, 'description': 'Text the model reads (after the image).'}, 'target': {'type': 'string', 'minLength': 1, 'description': 'Text the model is trained to write.'}, 'kind': {'type': 'string', 'enum': ['action', 'caption', 'vqa']}, 'source': {'type': 'string', 'minLength': 1, 'description': 'Name of the dataset or mixture source the example came from.'}, 'template_id': {'type': 'string', 'minLength': 1, 'description': "Id of the prompt template that produced 'prompt'."}, 'instruction': {'type': ['string', 'null'], 'description': 'Normalized task instruction (action examples).'}, 'episode_id': {'type': ['string', 'null'], 'description': 'Stable episode id (action examples).'}, 'step': {'type': ['integer', 'null'], 'minimum': 0, 'description': 'Step index within the episode (action examples).'}, 'action_raw': {'type': ['array', 'null'], 'items': {'type': 'number'}, 'description': "Canonical action in the dataset's own units, one number per action-space dimension."}, 'action_tokens': {'type': ['array', 'null'], 'items': {'type': 'integer', 'minimum': 0}, 'description': "Bin index per action-space dimension; the target's action string renders these."}, 'plan': {'type': ['string', 'null'], 'description': "Chain-of-thought plan, when the target is 'Plan: ... Action: ...'."}, 'chunk_steps': {'type': 'integer', 'minimum': 2, 'description': 'Action chunk (convert --action-chunk H): H, the steps t..t+H-1 whose actions the target holds; action_raw and action_tokens then hold H x D values, step-major. Absent for one action.'}, 'chunk_real': {'type': 'integer', 'minimum': 1, 'description': "How many of the chunk's steps are real; past the episode end the final action repeats."}, 'input_ids': {'type': 'array', 'items': {'type': 'integer', 'minimum': 0}, 'description': "Token ids of [BOS] + prompt + ' ' + target + [EOS] in the tokenizer the manifest names (convert/mix --tokenizer)."}, 'labels': {'type': 'array', 'items': {'type': 'integer', 'minimum': -100}, 'description': "input_ids with BOS and the prompt's ids set to -100 (ignored by the loss)."}}, 'allOf': [{'if': {'properties': {'kind': {'const': 'action'}}}, 'then': {'required': ['episode_id', 'step', 'action_raw', 'action_tokens'], 'properties': {'episode_id': {'type': 'string'}, 'step': {'type': 'integer'}, 'action_raw': {'type': 'array'}, 'action_tokens': {'type': 'array'}}}}]}, rule='required')
        data_keys = set(data.keys())
        if "key" in data_keys:
            data_keys.remove("key")
            data__key = data["key"]
            if not isinstance(data__key, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".key must be string", value=data__key, name="" + (name_prefix or "data") + ".key", definition={'type': 'string', 'description': 'Unique key of the example within an output; safe as a tar member stem (no dots, no slashes).', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$'}, rule='type')
            if isinstance(data__key, str):
                if not REGEX_PATTERNS['^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$'].search(data__key):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".key must match pattern ^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$", value=data__key, name="" + (name_prefix or "data") + ".key", definition={'type': 'string', 'description': 'Unique key of the example within an output; safe as a tar member stem (no dots, no slashes).', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$'}, rule='pattern')
        if "image_format" in data_keys:
            data_keys.remove("image_format")
            data__imageformat = data["image_format"]
            if not isinstance(data__imageformat, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".image_format must be string", value=data__imageformat, name="" + (name_prefix or "data") + ".image_format", definition={'type': 'string', 'description': 'Encoding of the image bytes, also the tar member extension.', 'enum': ['jpg', 'png', 'webp', 'gif', 'bmp', 'tiff']}, rule='type')
            if not (isinstance(data__imageformat, str) and data__imageformat == 'jpg' or isinstance(data__imageformat, str) and data__imageformat == 'png' or isinstance(data__imageformat, str) and data__imageformat == 'webp' or isinstance(data__imageformat, str) and data__imageformat == 'gif' or isinstance(data__imageformat, str) and data__imageformat == 'bmp' or isinstance(data__imageformat, str) and data__imageformat == 'tiff'):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".image_format must be one of ['jpg', 'png', 'webp', 'gif', 'bmp', 'tiff']", value=data__imageformat, name="" + (name_prefix or "data") + ".image_format", definition={'type': 'string', 'description': 'Encoding of the image bytes, also the tar member extension.', 'enum': ['jpg', 'png', 'webp', 'gif', 'bmp', 'tiff']}, rule='enum')
        if "prompt" in data_keys:
            data_keys.remove("prompt")
            data__prompt = data["prompt"]
            if not isinstance(data__prompt, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".prompt must be string", value=data__prompt, name="" + (name_prefix or "data") + ".prompt", definition={'type': 'string', 'minLength': 1, 'description': 'Text the model reads (after the image).'}, rule='type')
            if isinstance(data__prompt, str):
                data__prompt_len = len(data__prompt)
                if data__prompt_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".prompt must be longer than or equal to 1 characters", value=data__prompt, name="" + (name_prefix or "data") + ".prompt", definition={'type': 'string', 'minLength': 1, 'description': 'Text the model reads (after the image).'}, rule='minLength')
        if "target" in data_keys:
            data_keys.remove("target")
            data__target = data["target"]
            if not isinstance(data__target, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".target must be string", value=data__target, name="" + (name_prefix or "data") + ".target", definition={'type': 'string', 'minLength': 1, 'description': 'Text the model is trained to write.'}, rule='type')
            if isinstance(data__target, str):
                data__target_len = len(data__target)
                if data__target_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".target must be longer than or equal to 1 characters", value=data__target, name="" + (name_prefix or "data") + ".target", definition={'type': 'string', 'minLength': 1, 'description': 'Text the model is trained to write.'}, rule='minLength')
        if "kind" in data_keys:
            data_keys.remove("kind")
            data__kind = data["kind"]
            if not isinstance(data__kind, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".kind must be string", value=data__kind, name="" + (name_prefix or "data") + ".kind", definition={'type': 'string', 'enum': ['action', 'caption', 'vqa']}, rule='type')
            if not (isinstance(data__kind, str) and data__kind == 'action' or isinstance(data__kind, str) and data__kind == 'caption' or isinstance(data__kind, str) and data__kind == 'vqa'):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".kind must be one of ['action', 'caption', 'vqa']", value=data__kind, name="" + (name_prefix or "data") + ".kind", definition={'type': 'string', 'enum': ['action', 'caption', 'vqa']}, rule='enum')
        if "source" in data_keys:
            data_keys.remove("source")
            data__source = data["source"]
            if not isinstance(data__source, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".source must be string", value=data__source, name="" + (name_prefix or "data") + ".source", definition={'type': 'string', 'minLength': 1, 'description': 'Name of the dataset or mixture source the example came from.'}, rule='type')
            if isinstance(data__source, str):
                data__source_len = len(data__source)
                if data__source_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".source must be longer than or equal to 1 characters", value=data__source, name="" + (name_prefix or "data") + ".source", definition={'type': 'string', 'minLength': 1, 'description': 'Name of the dataset or mixture source the example came from.'}, rule='minLength')
        if "template_id" in data_keys:
            data_keys.remove("template_id")
            data__templateid = data["template_id"]
            if not isinstance(data__templateid, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".template_id must be string", value=data__templateid, name="" + (name_prefix or "data") + ".template_id", definition={'type': 'string', 'minLength': 1, 'description': "Id of the prompt template that produced 'prompt'."}, rule='type')
            if isinstance(data__templateid, str):
                data__templateid_len = len(data__templateid)
                if data__templateid_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".template_id must be longer than or equal to 1 characters", value=data__templateid, name="" + (name_prefix or "data") + ".template_id", definition={'type': 'string', 'minLength': 1, 'description': "Id of the prompt template that produced 'prompt'."}, rule='minLength')
        if "instruction" in data_keys:
            data_keys.remove("instruction")
            data__instruction = data["instruction"]
            if not isinstance(data__instruction, (str, NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".instruction must be string or null", value=data__instruction, name="" + (name_prefix or "data") + ".instruction", definition={'type': ['string', 'null'], 'description': 'Normalized task instruction (action examples).'}, rule='type')
        if "episode_id" in data_keys:
            data_keys.remove("episode_id")
            data__episodeid = data["episode_id"]
            if not isinstance(data__episodeid, (str, NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".episode_id must be string or null", value=data__episodeid, name="" + (name_prefix or "data") + ".episode_id", definition={'type': ['string', 'null'], 'description': 'Stable episode id (action examples).'}, rule='type')
        if "step" in data_keys:
            data_keys.remove("step")
            data__step = data["step"]
            if not isinstance(data__step, (int, NoneType)) and not (isinstance(data__step, float) and data__step.is_integer()) or isinstance(data__step, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".step must be integer or null", value=data__step, name="" + (name_prefix or "data") + ".step", definition={'type': ['integer', 'null'], 'minimum': 0, 'description': 'Step index within the episode (action examples).'}, rule='type')
            if isinstance(data__step, (int, float, Decimal)) and not isinstance(data__step, bool):
                if data__step < 0:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".step must be bigger than or equal to 0", value=data__step, name="" + (name_prefix or "data") + ".step", definition={'type': ['integer', 'null'], 'minimum': 0, 'description': 'Step index within the episode (action examples).'}, rule='minimum')
        if "action_raw" in data_keys:
            data_keys.remove("action_raw")
            data__actionraw = data["action_raw"]
            if not isinstance(data__actionraw, (list, tuple, NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".action_raw must be array or null", value=data__actionraw, name="" + (name_prefix or "data") + ".action_raw", definition={'type': ['array', 'null'], 'items': {'type': 'number'}, 'description': "Canonical action in the dataset's own units, one number per action-space dimension."}, rule='type')
            data__actionraw_is_list = isinstance(data__actionraw, (list, tuple))
            if data__actionraw_is_list:
                data__actionraw_len = len(data__actionraw)
                for data__actionraw_x, data__actionraw_item in enumerate(data__actionraw):
                    if not isinstance(data__actionraw_item, (int, float, Decimal)) or isinstance(data__actionraw_item, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".action_raw[{data__actionraw_x}]".format(**locals()) + " must be number", value=data__actionraw_item, name="" + (name_prefix or "data") + ".action_raw[{data__actionraw_x}]".format(**locals()) + "", definition={'type': 'number'}, rule='type')
        if "action_tokens" in data_keys:
            data_keys.remove("action_tokens")
            data__actiontokens = data["action_tokens"]
            if not isinstance(data__actiontokens, (list, tuple, NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".action_tokens must be array or null", value=data__actiontokens, name="" + (name_prefix or "data") + ".action_tokens", definition={'type': ['array', 'null'], 'items': {'type': 'integer', 'minimum': 0}, 'description': "Bin index per action-space dimension; the target's action string renders these."}, rule='type')
            data__actiontokens_is_list = isinstance(data__actiontokens, (list, tuple))
            if data__actiontokens_is_list:
                data__actiontokens_len = len(data__actiontokens)
                for data__actiontokens_x, data__actiontokens_item in enumerate(data__actiontokens):
                    if not isinstance(data__actiontokens_item, (int)) and not (isinstance(data__actiontokens_item, float) and data__actiontokens_item.is_integer()) or isinstance(data__actiontokens_item, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".action_tokens[{data__actiontokens_x}]".format(**locals()) + " must be integer", value=data__actiontokens_item, name="" + (name_prefix or "data") + ".action_tokens[{data__actiontokens_x}]".format(**locals()) + "", definition={'type': 'integer', 'minimum': 0}, rule='type')
                    if isinstance(data__actiontokens_item, (int, float, Decimal)) and not isinstance(data__actiontokens_item, bool):
                        if data__actiontokens_item < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".action_tokens[{data__actiontokens_x}]".format(**locals()) + " must be bigger than or equal to 0", value=data__actiontokens_item, name="" + (name_prefix or "data") + ".action_tokens[{data__actiontokens_x}]".format(**locals()) + "", definition={'type': 'integer', 'minimum': 0}, rule='minimum')
        if "plan" in data_keys:
            data_keys.remove("plan")
            data__plan = data["plan"]
            if not isinstance(data__plan, (str, NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".plan must be string or null", value=data__plan, name="" + (name_prefix or "data") + ".plan", definition={'type': ['string', 'null'], 'description': "Chain-of-thought plan, when the target is 'Plan: ... Action: ...'."}, rule='type')
        if "chunk_steps" in data_keys:
            data_keys.remove("chunk_steps")
            data__chunksteps = data["chunk_steps"]
            if not isinstance(data__chunksteps, (int)) and not (isinstance(data__chunksteps, float) and data__chunksteps.is_integer()) or isinstance(data__chunksteps, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".chunk_steps must be integer", value=data__chunksteps, name="" + (name_prefix or "data") + ".chunk_steps", definition={'type': 'integer', 'minimum': 2, 'description': 'Action chunk (convert --action-chunk H): H, the steps t..t+H-1 whose actions the target holds; action_raw and action_tokens then hold H x D values, step-major. Absent for one action.'}, rule='type')
            if isinstance(data__chunksteps, (int, float, Decimal)) and not isinstance(data__chunksteps, bool):
                if data__chunksteps < 2:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".chunk_steps must be bigger than or equal to 2", value=data__chunksteps, name="" + (name_prefix or "data") + ".chunk_steps", definition={'type': 'integer', 'minimum': 2, 'description': 'Action chunk (convert --action-chunk H): H, the steps t..t+H-1 whose actions the target holds; action_raw and action_tokens then hold H x D values, step-major. Absent for one action.'}, rule='minimum')
        if "chunk_real" in data_keys:
            data_keys.remove("chunk_real")
            data__chunkreal = data["chunk_real"]
            if not isinstance(data__chunkreal, (int)) and not (isinstance(data__chunkreal, float) and data__chunkreal.is_integer()) or isinstance(data__chunkreal, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".chunk_real must be integer", value=data__chunkreal, name="" + (name_prefix or "data") + ".chunk_real", definition={'type': 'integer', 'minimum': 1, 'description': "How many of the chunk's steps are real; past the episode end the final action repeats."}, rule='type')
            if isinstance(data__chunkreal, (int, float, Decimal)) and not isinstance(data__chunkreal, bool):
                if data__chunkreal < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".chunk_real must be bigger than or equal to 1", value=data__chunkreal, name="" + (name_prefix or "data") + ".chunk_real", definition={'type': 'integer', 'minimum': 1, 'description': "How many of the chunk's steps are real; past the episode end the final action repeats."}, rule='minimum')
        if "input_ids" in data_keys:
            data_keys.remove("input_ids")
            data__inputids = data["input_ids"]
            if not isinstance(data__inputids, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".input_ids must be array", value=data__inputids, name="" + (name_prefix or "data") + ".input_ids", definition={'type': 'array', 'items': {'type': 'integer', 'minimum': 0}, 'description': "Token ids of [BOS] + prompt + ' ' + target + [EOS] in the tokenizer the manifest names (convert/mix --tokenizer)."}, rule='type')
            data__inputids_is_list = isinstance(data__inputids, (list, tuple))
            if data__inputids_is_list:
                data__inputids_len = len(data__inputids)
                for data__inputids_x, data__inputids_item in enumerate(data__inputids):
                    if not isinstance(data__inputids_item, (int)) and not (isinstance(data__inputids_item, float) and data__inputids_item.is_integer()) or isinstance(data__inputids_item, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".input_ids[{data__inputids_x}]".format(**locals()) + " must be integer", value=data__inputids_item, name="" + (name_prefix or "data") + ".input_ids[{data__inputids_x}]".format(**locals()) + "", definition={'type': 'integer', 'minimum': 0}, rule='type')
                    if isinstance(data__inputids_item, (int, float, Decimal)) and not isinstance(data__inputids_item, bool):
                        if data__inputids_item < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".input_ids[{data__inputids_x}]".format(**locals()) + " must be bigger than or equal to 0", value=data__inputids_item, name="" + (name_prefix or "data") + ".input_ids[{data__inputids_x}]".format(**locals()) + "", definition={'type': 'integer', 'minimum': 0}, rule='minimum')
        if "labels" in data_keys:
            data_keys.remove("labels")
            data__labels = data["labels"]
            if not isinstance(data__labels, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".labels must be array", value=data__labels, name="" + (name_prefix or "data") + ".labels", definition={'type': 'array', 'items': {'type': 'integer', 'minimum': -100}, 'description': "input_ids with BOS and the prompt's ids set to -100 (ignored by the loss)."}, rule='type')
            data__labels_is_list = isinstance(data__labels, (list, tuple))
            if data__labels_is_list:
                data__labels_len = len(data__labels)
                for data__labels_x, data__labels_item in enumerate(data__labels):
                    if not isinstance(data__labels_item, (int)) and not (isinstance(data__labels_item, float) and data__labels_item.is_integer()) or isinstance(data__labels_item, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".labels[{data__labels_x}]".format(**locals()) + " must be integer", value=data__labels_item, name="" + (name_prefix or "data") + ".labels[{data__labels_x}]".format(**locals()) + "", definition={'type': 'integer', 'minimum': -100}, rule='type')
                    if isinstance(data__labels_item, (int, float, Decimal)) and not isinstance(data__labels_item, bool):
                        if data__labels_item < -100:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".labels[{data__labels_x}]".format(**locals()) + " must be bigger than or equal to -100", value=data__labels_item, name="" + (name_prefix or "data") + ".labels[{data__labels_x}]".format(**locals()) + "", definition={'type': 'integer', 'minimum': -100}, rule='minimum')
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties", value=data, name="" + (name_prefix or "data") + "", definition={'$id': 'https://rt2data.dev/schemas/example.schema.json', 'title': 'rt2data training example', 'description': "One training example (robot action, caption or VQA), as stored in the KEY.json member of a WebDataset shard and in the features of a TFRecord shard. The image itself is stored beside it (KEY.<image_format> in a tar, feature 'image' in a TFRecord). Mirrored in code by rt2data.example.Example.", 'type': 'object', 'additionalProperties': False, 'required': ['key', 'image_format', 'prompt', 'target', 'kind', 'source', 'template_id'], 'properties': {'key': {'type': 'string', 'description': 'Unique key of the example within an output; safe as a tar member stem (no dots, no slashes).', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$'}, 'image_format': {'type': 'string', 'description': 'Encoding of the image bytes, also the tar member extension.', 'enum': ['jpg', 'png', 'webp', 'gif', 'bmp', 'tiff']}, 'prompt': {'type': 'string', 'minLength': 1, 'description': 'Text the model reads (after the image).'}, 'target': {'type': 'string', 'minLength': 1, 'description': 'Text the model is trained to write.'}, 'kind': {'type': 'string', 'enum': ['action', 'caption', 'vqa']}, 'source': {'type': 'string', 'minLength': 1, 'description': 'Name of the dataset or mixture source the example came from.'}, 'template_id': {'type': 'string', 'minLength': 1, 'description': "Id of the prompt template that produced 'prompt'."}, 'instruction': {'type': ['string', 'null'], 'description': 'Normalized task instruction (action examples).'}, 'episode_id': {'type': ['string', 'null'], 'description': 'Stable episode id (action examples).'}, 'step': {'type': ['integer', 'null'], 'minimum': 0, 'description': 'Step index within the episode (action examples).'}, 'action_raw': {'type': ['array', 'null'], 'items': {'type': 'number'}, 'description': "Canonical action in the dataset's own units, one number per action-space dimension."}, 'action_tokens': {'type': ['array', 'null'], 'items': {'type': 'integer', 'minimum': 0}, 'description': "Bin index per action-space dimension; the target's action string renders these."}, 'plan': {'type': ['string', 'null'], 'description': "Chain-of-thought plan, when the target is 'Plan: ... Action: ...'."}, 'chunk_steps': {'type': 'integer', 'minimum': 2, 'description': 'Action chunk (convert --action-chunk H): H, the steps t..t+H-1 whose actions the target holds; action_raw and action_tokens then hold H x D values, step-major. Absent for one action.'}, 'chunk_real': {'type': 'integer', 'minimum': 1, 'description': "How many of the chunk's steps are real; past the episode end the final action repeats."}, 'input_ids': {'type': 'array', 'items': {'type': 'integer', 'minimum': 0}, 'description': "Token ids of [BOS] + prompt + ' ' + target + [EOS] in the tokenizer the manifest names (convert/mix --tokenizer)."}, 'labels': {'type': 'array', 'items': {'type': 'integer', 'minimum': -100}, 'description': "input_ids with BOS and the prompt's ids set to -100 (ignored by the loss)."}}, 'allOf': [{'if': {'properties': {'kind': {'const': 'action'}}}, 'then': {'required': ['episode_id', 'step', 'action_raw', 'action_tokens'], 'properties': {'episode_id': {'type': 'string'}, 'step': {'type': 'integer'}, 'action_raw': {'type': 'array'}, 'action_tokens': {'type': 'array'}}}}]}, rule='additionalProperties')
    return data

validate = validate_https___rt2data_dev_schemas_example_schema_json
