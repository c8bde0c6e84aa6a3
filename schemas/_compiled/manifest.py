"""Schema 'manifest' compiled by fastjsonschema: written by ``python -m rt2data.schemas._compiled``, not by hand."""
# fmt: off
# flake8: noqa
# ruff: noqa

SCHEMA = 'manifest'
SCHEMA_DIGEST = 'd7b14567fffd22a97ff3241f03014f71170068434d3c671b305e24c2260b00b4'

VERSION = "2.22.3"
from decimal import Decimal
import re
from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException


REGEX_PATTERNS = {
    '^rt2data ': re.compile('^rt2data '),
    '^[0-9a-f]{64}$': re.compile('^[0-9a-f]{64}\\Z'),
    '\\.tar$': re.compile('\\.tar\\Z'),
    '\\.tfrecord$': re.compile('\\.tfrecord\\Z'),
    '^[A-Za-z0-9_][A-Za-z0-9_.-]*$': re.compile('^[A-Za-z0-9_][A-Za-z0-9_.-]*\\Z'),
    '^[A-Za-z0-9][A-Za-z0-9_.-]*$': re.compile('^[A-Za-z0-9][A-Za-z0-9_.-]*\\Z')
}

NoneType = type(None)

def validate_https___rt2data_dev_schemas_manifest_schema_json(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object", value=data, name="" + (name_prefix or "data") + "", definition={'$id': 'https://rt2data.dev/schemas/manifest.schema.json', 'title': 'rt2data output manifest', 'description': 'manifest.json beside the shards of a convert or mix output. Mirrored in code by rt2data.shards.manifest.Manifest. Sorted keys, no timestamps: the same inputs and config give a byte-identical file.', 'type': 'object', 'additionalProperties': False, 'required': ['format_version', 'kind', 'created_by', 'config', 'config_fingerprint', 'formats', 'shards', 'codec', 'statistics', 'templates', 'accounting', 'sources'], 'properties': {'format_version': {'const': 1, 'description': 'Version of this manifest layout.'}, 'kind': {'enum': ['convert', 'mix'], 'description': 'Which command wrote the output.'}, 'created_by': {'type': 'string', 'pattern': '^rt2data ', 'description': "'rt2data <version>'."}, 'config': {'type': 'object', 'description': 'The full configuration of the run.'}, 'config_fingerprint': {'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the canonical JSON of the output-deciding config; --resume continues only a run with the same fingerprint.'}, 'formats': {'type': 'array', 'items': {'enum': ['wds', 'tfrecord']}, 'uniqueItems': True, 'description': "Formats present, in canonical order (wds, tfrecord); the keys of 'shards'."}, 'shards': {'type': 'object', 'additionalProperties': False, 'properties': {'wds': {'type': 'array', 'items': {'allOf': [{'type': 'object', 'additionalProperties': False, 'required': ['name', 'format', 'count', 'bytes', 'sha256', 'first_key', 'last_key', 'counts_by_source', 'counts_by_kind'], 'properties': {'name': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': 'File name inside the output directory.'}, 'format': {'enum': ['wds', 'tfrecord']}, 'count': {'type': 'integer', 'minimum': 0, 'description': 'Examples in the shard.'}, 'bytes': {'type': 'integer', 'minimum': 0, 'description': 'File size.'}, 'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the file.'}, 'first_key': {'type': ['string', 'null']}, 'last_key': {'type': ['string', 'null']}, 'counts_by_source': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}, 'counts_by_kind': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}}}, {'properties': {'format': {'const': 'wds'}, 'name': {'pattern': '\\.tar$'}}}]}}, 'tfrecord': {'type': 'array', 'items': {'allOf': [{'type': 'object', 'additionalProperties': False, 'required': ['name', 'format', 'count', 'bytes', 'sha256', 'first_key', 'last_key', 'counts_by_source', 'counts_by_kind'], 'properties': {'name': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': 'File name inside the output directory.'}, 'format': {'enum': ['wds', 'tfrecord']}, 'count': {'type': 'integer', 'minimum': 0, 'description': 'Examples in the shard.'}, 'bytes': {'type': 'integer', 'minimum': 0, 'description': 'File size.'}, 'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the file.'}, 'first_key': {'type': ['string', 'null']}, 'last_key': {'type': ['string', 'null']}, 'counts_by_source': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}, 'counts_by_kind': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}}}, {'properties': {'format': {'const': 'tfrecord'}, 'name': {'pattern': '\\.tfrecord$'}}}]}}}, 'description': 'Per format, the shards in read order.'}, 'codec': {'type': ['object', 'null'], 'description': 'Action space and normalization (JSON of the action codec); null for pure web mixes.'}, 'statistics': {'type': ['object', 'null'], 'description': 'Dataset statistics used for normalization, or null.'}, 'templates': {'type': 'object', 'additionalProperties': {'type': 'string'}, 'description': 'Prompt template id -> template text, for every template_id used.'}, 'accounting': {'type': 'object', 'additionalProperties': False, 'required': ['input', 'written', 'dropped'], 'properties': {'input': {'type': 'integer', 'minimum': 0, 'description': 'Input units (steps for convert).'}, 'written': {'type': 'integer', 'minimum': 0, 'description': 'Examples written (once, whatever the number of formats).'}, 'dropped': {'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}, 'description': 'Dead-lettered inputs by reason; input == written + sum(dropped).'}}}, 'sources': {'type': 'object', 'description': 'Per-source audit (mix: requested vs realized, repeats, dead letters).'}, 'files': {'type': 'object', 'description': "sha256 and size of the output's other files (convert: dataset_statistics.json, dead_letters.jsonl); validate checks them.", 'propertyNames': {'pattern': '^[A-Za-z0-9_][A-Za-z0-9_.-]*$'}, 'additionalProperties': {'type': 'object', 'additionalProperties': False, 'required': ['sha256', 'bytes'], 'properties': {'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$'}, 'bytes': {'type': 'integer', 'minimum': 0}}}}}, '$defs': {'count_map': {'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}}, 'shard': {'type': 'object', 'additionalProperties': False, 'required': ['name', 'format', 'count', 'bytes', 'sha256', 'first_key', 'last_key', 'counts_by_source', 'counts_by_kind'], 'properties': {'name': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': 'File name inside the output directory.'}, 'format': {'enum': ['wds', 'tfrecord']}, 'count': {'type': 'integer', 'minimum': 0, 'description': 'Examples in the shard.'}, 'bytes': {'type': 'integer', 'minimum': 0, 'description': 'File size.'}, 'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the file.'}, 'first_key': {'type': ['string', 'null']}, 'last_key': {'type': ['string', 'null']}, 'counts_by_source': {'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}}, 'counts_by_kind': {'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}}}}}}, rule='type')
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data__missing_keys = set(['format_version', 'kind', 'created_by', 'config', 'config_fingerprint', 'formats', 'shards', 'codec', 'statistics', 'templates', 'accounting', 'sources']) - data.keys()
        if data__missing_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain " + (str(sorted(data__missing_keys)) + " properties"), value=data, name="" + (name_prefix or "data") + "", definition={'$id': 'https://rt2data.dev/schemas/manifest.schema.json', 'title': 'rt2data output manifest', 'description': 'manifest.json beside the shards of a convert or mix output. Mirrored in code by rt2data.shards.manifest.Manifest. Sorted keys, no timestamps: the same inputs and config give a byte-identical file.', 'type': 'object', 'additionalProperties': False, 'required': ['format_version', 'kind', 'created_by', 'config', 'config_fingerprint', 'formats', 'shards', 'codec', 'statistics', 'templates', 'accounting', 'sources'], 'properties': {'format_version': {'const': 1, 'description': 'Version of this manifest layout.'}, 'kind': {'enum': ['convert', 'mix'], 'description': 'Which command wrote the output.'}, 'created_by': {'type': 'string', 'pattern': '^rt2data ', 'description': "'rt2data <version>'."}, 'config': {'type': 'object', 'description': 'The full configuration of the run.'}, 'config_fingerprint': {'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the canonical JSON of the output-deciding config; --resume continues only a run with the same fingerprint.'}, 'formats': {'type': 'array', 'items': {'enum': ['wds', 'tfrecord']}, 'uniqueItems': True, 'description': "Formats present, in canonical order (wds, tfrecord); the keys of 'shards'."}, 'shards': {'type': 'object', 'additionalProperties': False, 'properties': {'wds': {'type': 'array', 'items': {'allOf': [{'type': 'object', 'additionalProperties': False, 'required': ['name', 'format', 'count', 'bytes', 'sha256', 'first_key', 'last_key', 'counts_by_source', 'counts_by_kind'], 'properties': {'name': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': 'File name inside the output directory.'}, 'format': {'enum': ['wds', 'tfrecord']}, 'count': {'type': 'integer', 'minimum': 0, 'description': 'Examples in the shard.'}, 'bytes': {'type': 'integer', 'minimum': 0, 'description': 'File size.'}, 'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the file.'}, 'first_key': {'type': ['string', 'null']}, 'last_key': {'type': ['string', 'null']}, 'counts_by_source': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}, 'counts_by_kind': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}}}, {'properties': {'format': {'const': 'wds'}, 'name': {'pattern': '\\.tar$'}}}]}}, 'tfrecord': {'type': 'array', 'items': {'allOf': [{'type': 'object', 'additionalProperties': False, 'required': ['name', 'format', 'count', 'bytes', 'sha256', 'first_key', 'last_key', 'counts_by_source', 'counts_by_kind'], 'properties': {'name': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': 'File name inside the output directory.'}, 'format': {'enum': ['wds', 'tfrecord']}, 'count': {'type': 'integer', 'minimum': 0, 'description': 'Examples in the shard.'}, 'bytes': {'type': 'integer', 'minimum': 0, 'description': 'File size.'}, 'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the file.'}, 'first_key': {'type': ['string', 'null']}, 'last_key': {'type': ['string', 'null']}, 'counts_by_source': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}, 'counts_by_kind': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}}}, {'properties': {'format': {'const': 'tfrecord'}, 'name': {'pattern': '\\.tfrecord$'}}}]}}}, 'description': 'Per format, the shards in read order.'}, 'codec': {'type': ['object', 'null'], 'description': 'Action space and normalization (JSON of the action codec); null for pure web mixes.'}, 'statistics': {'type': ['object', 'null'], 'description': 'Dataset statistics used for normalization, or null.'}, 'templates': {'type': 'object', 'additionalProperties': {'type': 'string'}, 'description': 'Prompt template id -> template text, for every template_id used.'}, 'accounting': {'type': 'object', 'additionalProperties': False, 'required': ['input', 'written', 'dropped'], 'properties': {'input': {'type': 'integer', 'minimum': 0, 'description': 'Input units (steps for convert).'}, 'written': {'type': 'integer', 'minimum': 0, 'description': 'Examples written (once, whatever the number of formats).'}, 'dropped': {'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}, 'description': 'Dead-lettered inputs by reason; input == written + sum(dropped).'}}}, 'sources': {'type': 'object', 'description': 'Per-source audit (mix: requested vs realized, repeats, dead letters).'}, 'files': {'type': 'object', 'description': "sha256 and size of the output's other files (convert: dataset_statistics.json, dead_letters.jsonl); validate checks them.", 'propertyNames': {'pattern': '^[A-Za-z0-9_][A-Za-z0-9_.-]*$'}, 'additionalProperties': {'type': 'object', 'additionalProperties': False, 'required': ['sha256', 'bytes'], 'properties': {'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$'}, 'bytes': {'type': 'integer', 'minimum': 0}}}}}, '$defs': {'count_map': {'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}}, 'shard': {'type': 'object', 'additionalProperties': False, 'required': ['name', 'format', 'count', 'bytes', 'sha256', 'first_key', 'last_key', 'counts_by_source', 'counts_by_kind'], 'properties': {'name': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': 'File name inside the output directory.'}, 'format': {'enum': ['wds', 'tfrecord']}, 'count': {'type': 'integer', 'minimum': 0, 'description': 'Examples in the shard.'}, 'bytes': {'type': 'integer', 'minimum': 0, 'description': 'File size.'}, 'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the file.'}, 'first_key': {'type': ['string', 'null']}, 'last_key': {'type': ['string', 'null']}, 'counts_by_source': {'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}}, 'counts_by_kind': {'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}}}}}}, rule='required')
        data_keys = set(data.keys())
        if "format_version" in data_keys:
            data_keys.remove("format_version")
            data__formatversion = data["format_version"]
            if not (isinstance(data__formatversion, (int, float)) and not isinstance(data__formatversion, bool) and data__formatversion == 1):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".format_version must be same as const definition: 1", value=data__formatversion, name="" + (name_prefix or "data") + ".format_version", definition={'const': 1, 'description': 'Version of this manifest layout.'}, rule='const')
        if "kind" in data_keys:
            data_keys.remove("kind")
            data__kind = data["kind"]
            if not (isinstance(data__kind, str) and data__kind == 'convert' or isinstance(data__kind, str) and data__kind == 'mix'):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".kind must be one of ['convert', 'mix']", value=data__kind, name="" + (name_prefix or "data") + ".kind", definition={'enum': ['convert', 'mix'], 'description': 'Which command wrote the output.'}, rule='enum')
        if "created_by" in data_keys:
            data_keys.remove("created_by")
            data__createdby = data["created_by"]
            if not isinstance(data__createdby, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".created_by must be string", value=data__createdby, name="" + (name_prefix or "data") + ".created_by", definition={'type': 'string', 'pattern': '^rt2data ', 'description': "'rt2data <version>'."}, rule='type')
            if isinstance(data__createdby, str):
                if not REGEX_PATTERNS['^rt2data '].search(data__createdby):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".created_by must match pattern ^rt2data ", value=data__createdby, name="" + (name_prefix or "data") + ".created_by", definition={'type': 'string', 'pattern': '^rt2data ', 'description': "'rt2data <version>'."}, rule='pattern')
        if "config" in data_keys:
            data_keys.remove("config")
            data__config = data["config"]
            if not isinstance(data__config, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".config must be object", value=data__config, name="" + (name_prefix or "data") + ".config", definition={'type': 'object', 'description': 'The full configuration of the run.'}, rule='type')
        if "config_fingerprint" in data_keys:
            data_keys.remove("config_fingerprint")
            data__configfingerprint = data["config_fingerprint"]
            if not isinstance(data__configfingerprint, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".config_fingerprint must be string", value=data__configfingerprint, name="" + (name_prefix or "data") + ".config_fingerprint", definition={'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the canonical JSON of the output-deciding config; --resume continues only a run with the same fingerprint.'}, rule='type')
            if isinstance(data__configfingerprint, str):
                if not REGEX_PATTERNS['^[0-9a-f]{64}$'].search(data__configfingerprint):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".config_fingerprint must match pattern ^[0-9a-f]{64}$", value=data__configfingerprint, name="" + (name_prefix or "data") + ".config_fingerprint", definition={'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the canonical JSON of the output-deciding config; --resume continues only a run with the same fingerprint.'}, rule='pattern')
        if "formats" in data_keys:
            data_keys.remove("formats")
            data__formats = data["formats"]
            if not isinstance(data__formats, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".formats must be array", value=data__formats, name="" + (name_prefix or "data") + ".formats", definition={'type': 'array', 'items': {'enum': ['wds', 'tfrecord']}, 'uniqueItems': True, 'description': "Formats present, in canonical order (wds, tfrecord); the keys of 'shards'."}, rule='type')
            data__formats_is_list = isinstance(data__formats, (list, tuple))
            if data__formats_is_list:
                def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                data__formats_len = len(data__formats)
                if data__formats_len > len(set(fn(data__formats_x) for data__formats_x in data__formats)):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".formats must contain unique items", value=data__formats, name="" + (name_prefix or "data") + ".formats", definition={'type': 'array', 'items': {'enum': ['wds', 'tfrecord']}, 'uniqueItems': True, 'description': "Formats present, in canonical order (wds, tfrecord); the keys of 'shards'."}, rule='uniqueItems')
                for data__formats_x, data__formats_item in enumerate(data__formats):
                    if not (isinstance(data__formats_item, str) and data__formats_item == 'wds' or isinstance(data__formats_item, str) and data__formats_item == 'tfrecord'):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".formats[{data__formats_x}]".format(**locals()) + " must be one of ['wds', 'tfrecord']", value=data__formats_item, name="" + (name_prefix or "data") + ".formats[{data__formats_x}]".format(**locals()) + "", definition={'enum': ['wds', 'tfrecord']}, rule='enum')
        if "shards" in data_keys:
            data_keys.remove("shards")
            data__shards = data["shards"]
            if not isinstance(data__shards, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".shards must be object", value=data__shards, name="" + (name_prefix or "data") + ".shards", definition={'type': 'object', 'additionalProperties': False, 'properties': {'wds': {'type': 'array', 'items': {'allOf': [{'type': 'object', 'additionalProperties': False, 'required': ['name', 'format', 'count', 'bytes', 'sha256', 'first_key', 'last_key', 'counts_by_source', 'counts_by_kind'], 'properties': {'name': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': 'File name inside the output directory.'}, 'format': {'enum': ['wds', 'tfrecord']}, 'count': {'type': 'integer', 'minimum': 0, 'description': 'Examples in the shard.'}, 'bytes': {'type': 'integer', 'minimum': 0, 'description': 'File size.'}, 'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the file.'}, 'first_key': {'type': ['string', 'null']}, 'last_key': {'type': ['string', 'null']}, 'counts_by_source': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}, 'counts_by_kind': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}}}, {'properties': {'format': {'const': 'wds'}, 'name': {'pattern': '\\.tar$'}}}]}}, 'tfrecord': {'type': 'array', 'items': {'allOf': [{'type': 'object', 'additionalProperties': False, 'required': ['name', 'format', 'count', 'bytes', 'sha256', 'first_key', 'last_key', 'counts_by_source', 'counts_by_kind'], 'properties': {'name': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': 'File name inside the output directory.'}, 'format': {'enum': ['wds', 'tfrecord']}, 'count': {'type': 'integer', 'minimum': 0, 'description': 'Examples in the shard.'}, 'bytes': {'type': 'integer', 'minimum': 0, 'description': 'File size.'}, 'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the file.'}, 'first_key': {'type': ['string', 'null']}, 'last_key': {'type': ['string', 'null']}, 'counts_by_source': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}, 'counts_by_kind': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}}}, {'properties': {'format': {'const': 'tfrecord'}, 'name': {'pattern': '\\.tfrecord$'}}}]}}}, 'description': 'Per format, the shards in read order.'}, rule='type')
            data__shards_is_dict = isinstance(data__shards, dict)
            if data__shards_is_dict:
                data__shards_keys = set(data__shards.keys())
                if "wds" in data__shards_keys:
                    data__shards_keys.remove("wds")
                    data__shards__wds = data__shards["wds"]
                    if not isinstance(data__shards__wds, (list, tuple)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".shards.wds must be array", value=data__shards__wds, name="" + (name_prefix or "data") + ".shards.wds", definition={'type': 'array', 'items': {'allOf': [{'type': 'object', 'additionalProperties': False, 'required': ['name', 'format', 'count', 'bytes', 'sha256', 'first_key', 'last_key', 'counts_by_source', 'counts_by_kind'], 'properties': {'name': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': 'File name inside the output directory.'}, 'format': {'enum': ['wds', 'tfrecord']}, 'count': {'type': 'integer', 'minimum': 0, 'description': 'Examples in the shard.'}, 'bytes': {'type': 'integer', 'minimum': 0, 'description': 'File size.'}, 'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the file.'}, 'first_key': {'type': ['string', 'null']}, 'last_key': {'type': ['string', 'null']}, 'counts_by_source': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}, 'counts_by_kind': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}}}, {'properties': {'format': {'const': 'wds'}, 'name': {'pattern': '\\.tar$'}}}]}}, rule='type')
                    data__shards__wds_is_list = isinstance(data__shards__wds, (list, tuple))
                    if data__shards__wds_is_list:
                        data__shards__wds_len = len(data__shards__wds)
                        for data__shards__wds_x, data__shards__wds_item in enumerate(data__shards__wds):
                            validate_https___rt2data_dev_schemas_manifest_schema_json___defs_shard(data__shards__wds_item, custom_formats, (name_prefix or "data") + ".shards.wds[{data__shards__wds_x}]".format(**locals()))
                            data__shards__wds_item_is_dict = isinstance(data__shards__wds_item, dict)
                            if data__shards__wds_item_is_dict:
                                data__shards__wds_item_keys = set(data__shards__wds_item.keys())
                                if "format" in data__shards__wds_item_keys:
                                    data__shards__wds_item_keys.remove("format")
                                    data__shards__wds_item__format = data__shards__wds_item["format"]
                                    if not (isinstance(data__shards__wds_item__format, str) and data__shards__wds_item__format == 'wds'):
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".shards.wds[{data__shards__wds_x}].format".format(**locals()) + " must be same as const definition: wds", value=data__shards__wds_item__format, name="" + (name_prefix or "data") + ".shards.wds[{data__shards__wds_x}].format".format(**locals()) + "", definition={'const': 'wds'}, rule='const')
                                if "name" in data__shards__wds_item_keys:
                                    data__shards__wds_item_keys.remove("name")
                                    data__shards__wds_item__name = data__shards__wds_item["name"]
                                    if isinstance(data__shards__wds_item__name, str):
                                        if not REGEX_PATTERNS['\\.tar$'].search(data__shards__wds_item__name):
                                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".shards.wds[{data__shards__wds_x}].name".format(**locals()) + " must match pattern \\.tar$", value=data__shards__wds_item__name, name="" + (name_prefix or "data") + ".shards.wds[{data__shards__wds_x}].name".format(**locals()) + "", definition={'pattern': '\\.tar$'}, rule='pattern')
                if "tfrecord" in data__shards_keys:
                    data__shards_keys.remove("tfrecord")
                    data__shards__tfrecord = data__shards["tfrecord"]
                    if not isinstance(data__shards__tfrecord, (list, tuple)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".shards.tfrecord must be array", value=data__shards__tfrecord, name="" + (name_prefix or "data") + ".shards.tfrecord", definition={'type': 'array', 'items': {'allOf': [{'type': 'object', 'additionalProperties': False, 'required': ['name', 'format', 'count', 'bytes', 'sha256', 'first_key', 'last_key', 'counts_by_source', 'counts_by_kind'], 'properties': {'name': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': 'File name inside the output directory.'}, 'format': {'enum': ['wds', 'tfrecord']}, 'count': {'type': 'integer', 'minimum': 0, 'description': 'Examples in the shard.'}, 'bytes': {'type': 'integer', 'minimum': 0, 'description': 'File size.'}, 'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the file.'}, 'first_key': {'type': ['string', 'null']}, 'last_key': {'type': ['string', 'null']}, 'counts_by_source': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}, 'counts_by_kind': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}}}, {'properties': {'format': {'const': 'tfrecord'}, 'name': {'pattern': '\\.tfrecord$'}}}]}}, rule='type')
                    data__shards__tfrecord_is_list = isinstance(data__shards__tfrecord, (list, tuple))
                    if data__shards__tfrecord_is_list:
                        data__shards__tfrecord_len = len(data__shards__tfrecord)
                        for data__shards__tfrecord_x, data__shards__tfrecord_item in enumerate(data__shards__tfrecord):
                            validate_https___rt2data_dev_schemas_manifest_schema_json___defs_shard(data__shards__tfrecord_item, custom_formats, (name_prefix or "data") + ".shards.tfrecord[{data__shards__tfrecord_x}]".format(**locals()))
                            data__shards__tfrecord_item_is_dict = isinstance(data__shards__tfrecord_item, dict)
                            if data__shards__tfrecord_item_is_dict:
                                data__shards__tfrecord_item_keys = set(data__shards__tfrecord_item.keys())
                                if "format" in data__shards__tfrecord_item_keys:
                                    data__shards__tfrecord_item_keys.remove("format")
                                    data__shards__tfrecord_item__format = data__shards__tfrecord_item["format"]
                                    if not (isinstance(data__shards__tfrecord_item__format, str) and data__shards__tfrecord_item__format == 'tfrecord'):
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".shards.tfrecord[{data__shards__tfrecord_x}].format".format(**locals()) + " must be same as const definition: tfrecord", value=data__shards__tfrecord_item__format, name="" + (name_prefix or "data") + ".shards.tfrecord[{data__shards__tfrecord_x}].format".format(**locals()) + "", definition={'const': 'tfrecord'}, rule='const')
                                if "name" in data__shards__tfrecord_item_keys:
                                    data__shards__tfrecord_item_keys.remove("name")
                                    data__shards__tfrecord_item__name = data__shards__tfrecord_item["name"]
                                    if isinstance(data__shards__tfrecord_item__name, str):
                                        if not REGEX_PATTERNS['\\.tfrecord$'].search(data__shards__tfrecord_item__name):
                                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".shards.tfrecord[{data__shards__tfrecord_x}].name".format(**locals()) + " must match pattern \\.tfrecord$", value=data__shards__tfrecord_item__name, name="" + (name_prefix or "data") + ".shards.tfrecord[{data__shards__tfrecord_x}].name".format(**locals()) + "", definition={'pattern': '\\.tfrecord$'}, rule='pattern')
                if data__shards_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".shards must not contain "+str(data__shards_keys)+" properties", value=data__shards, name="" + (name_prefix or "data") + ".shards", definition={'type': 'object', 'additionalProperties': False, 'properties': {'wds': {'type': 'array', 'items': {'allOf': [{'type': 'object', 'additionalProperties': False, 'required': ['name', 'format', 'count', 'bytes', 'sha256', 'first_key', 'last_key', 'counts_by_source', 'counts_by_kind'], 'properties': {'name': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': 'File name inside the output directory.'}, 'format': {'enum': ['wds', 'tfrecord']}, 'count': {'type': 'integer', 'minimum': 0, 'description': 'Examples in the shard.'}, 'bytes': {'type': 'integer', 'minimum': 0, 'description': 'File size.'}, 'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the file.'}, 'first_key': {'type': ['string', 'null']}, 'last_key': {'type': ['string', 'null']}, 'counts_by_source': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}, 'counts_by_kind': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}}}, {'properties': {'format': {'const': 'wds'}, 'name': {'pattern': '\\.tar$'}}}]}}, 'tfrecord': {'type': 'array', 'items': {'allOf': [{'type': 'object', 'additionalProperties': False, 'required': ['name', 'format', 'count', 'bytes', 'sha256', 'first_key', 'last_key', 'counts_by_source', 'counts_by_kind'], 'properties': {'name': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': 'File name inside the output directory.'}, 'format': {'enum': ['wds', 'tfrecord']}, 'count': {'type': 'integer', 'minimum': 0, 'description': 'Examples in the shard.'}, 'bytes': {'type': 'integer', 'minimum': 0, 'description': 'File size.'}, 'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the file.'}, 'first_key': {'type': ['string', 'null']}, 'last_key': {'type': ['string', 'null']}, 'counts_by_source': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}, 'counts_by_kind': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}}}, {'properties': {'format': {'const': 'tfrecord'}, 'name': {'pattern': '\\.tfrecord$'}}}]}}}, 'description': 'Per format, the shards in read order.'}, rule='additionalProperties')
        if "codec" in data_keys:
            data_keys.remove("codec")
            data__codec = data["codec"]
            if not isinstance(data__codec, (dict, NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".codec must be object or null", value=data__codec, name="" + (name_prefix or "data") + ".codec", definition={'type': ['object', 'null'], 'description': 'Action space and normalization (JSON of the action codec); null for pure web mixes.'}, rule='type')
        if "statistics" in data_keys:
            data_keys.remove("statistics")
            data__statistics = data["statistics"]
            if not isinstance(data__statistics, (dict, NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".statistics must be object or null", value=data__statistics, name="" + (name_prefix or "data") + ".statistics", definition={'type': ['object', 'null'], 'description': 'Dataset statistics used for normalization, or null.'}, rule='type')
        if "templates" in data_keys:
            data_keys.remove("templates")
            data__templates = data["templates"]
            if not isinstance(data__templates, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".templates must be object", value=data__templates, name="" + (name_prefix or "data") + ".templates", definition={'type': 'object', 'additionalProperties': {'type': 'string'}, 'description': 'Prompt template id -> template text, for every template_id used.'}, rule='type')
            data__templates_is_dict = isinstance(data__templates, dict)
            if data__templates_is_dict:
                data__templates_keys = set(data__templates.keys())
                for data__templates_key in data__templates_keys:
                    if data__templates_key not in []:
                        data__templates_value = data__templates.get(data__templates_key)
                        if not isinstance(data__templates_value, (str)):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".templates.{data__templates_key}".format(**locals()) + " must be string", value=data__templates_value, name="" + (name_prefix or "data") + ".templates.{data__templates_key}".format(**locals()) + "", definition={'type': 'string'}, rule='type')
        if "accounting" in data_keys:
            data_keys.remove("accounting")
            data__accounting = data["accounting"]
            if not isinstance(data__accounting, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".accounting must be object", value=data__accounting, name="" + (name_prefix or "data") + ".accounting", definition={'type': 'object', 'additionalProperties': False, 'required': ['input', 'written', 'dropped'], 'properties': {'input': {'type': 'integer', 'minimum': 0, 'description': 'Input units (steps for convert).'}, 'written': {'type': 'integer', 'minimum': 0, 'description': 'Examples written (once, whatever the number of formats).'}, 'dropped': {'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}, 'description': 'Dead-lettered inputs by reason; input == written + sum(dropped).'}}}, rule='type')
            data__accounting_is_dict = isinstance(data__accounting, dict)
            if data__accounting_is_dict:
                data__accounting__missing_keys = set(['input', 'written', 'dropped']) - data__accounting.keys()
                if data__accounting__missing_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".accounting must contain " + (str(sorted(data__accounting__missing_keys)) + " properties"), value=data__accounting, name="" + (name_prefix or "data") + ".accounting", definition={'type': 'object', 'additionalProperties': False, 'required': ['input', 'written', 'dropped'], 'properties': {'input': {'type': 'integer', 'minimum': 0, 'description': 'Input units (steps for convert).'}, 'written': {'type': 'integer', 'minimum': 0, 'description': 'Examples written (once, whatever the number of formats).'}, 'dropped': {'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}, 'description': 'Dead-lettered inputs by reason; input == written + sum(dropped).'}}}, rule='required')
                data__accounting_keys = set(data__accounting.keys())
                if "input" in data__accounting_keys:
                    data__accounting_keys.remove("input")
                    data__accounting__input = data__accounting["input"]
                    if not isinstance(data__accounting__input, (int)) and not (isinstance(data__accounting__input, float) and data__accounting__input.is_integer()) or isinstance(data__accounting__input, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".accounting.input must be integer", value=data__accounting__input, name="" + (name_prefix or "data") + ".accounting.input", definition={'type': 'integer', 'minimum': 0, 'description': 'Input units (steps for convert).'}, rule='type')
                    if isinstance(data__accounting__input, (int, float, Decimal)) and not isinstance(data__accounting__input, bool):
                        if data__accounting__input < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".accounting.input must be bigger than or equal to 0", value=data__accounting__input, name="" + (name_prefix or "data") + ".accounting.input", definition={'type': 'integer', 'minimum': 0, 'description': 'Input units (steps for convert).'}, rule='minimum')
                if "written" in data__accounting_keys:
                    data__accounting_keys.remove("written")
                    data__accounting__written = data__accounting["written"]
                    if not isinstance(data__accounting__written, (int)) and not (isinstance(data__accounting__written, float) and data__accounting__written.is_integer()) or isinstance(data__accounting__written, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".accounting.written must be integer", value=data__accounting__written, name="" + (name_prefix or "data") + ".accounting.written", definition={'type': 'integer', 'minimum': 0, 'description': 'Examples written (once, whatever the number of formats).'}, rule='type')
                    if isinstance(data__accounting__written, (int, float, Decimal)) and not isinstance(data__accounting__written, bool):
                        if data__accounting__written < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".accounting.written must be bigger than or equal to 0", value=data__accounting__written, name="" + (name_prefix or "data") + ".accounting.written", definition={'type': 'integer', 'minimum': 0, 'description': 'Examples written (once, whatever the number of formats).'}, rule='minimum')
                if "dropped" in data__accounting_keys:
                    data__accounting_keys.remove("dropped")
                    data__accounting__dropped = data__accounting["dropped"]
                    if not isinstance(data__accounting__dropped, (dict)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".accounting.dropped must be object", value=data__accounting__dropped, name="" + (name_prefix or "data") + ".accounting.dropped", definition={'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}, 'description': 'Dead-lettered inputs by reason; input == written + sum(dropped).'}, rule='type')
                    data__accounting__dropped_is_dict = isinstance(data__accounting__dropped, dict)
                    if data__accounting__dropped_is_dict:
                        data__accounting__dropped_keys = set(data__accounting__dropped.keys())
                        for data__accounting__dropped_key in data__accounting__dropped_keys:
                            if data__accounting__dropped_key not in []:
                                data__accounting__dropped_value = data__accounting__dropped.get(data__accounting__dropped_key)
                                if not isinstance(data__accounting__dropped_value, (int)) and not (isinstance(data__accounting__dropped_value, float) and data__accounting__dropped_value.is_integer()) or isinstance(data__accounting__dropped_value, bool):
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".accounting.dropped.{data__accounting__dropped_key}".format(**locals()) + " must be integer", value=data__accounting__dropped_value, name="" + (name_prefix or "data") + ".accounting.dropped.{data__accounting__dropped_key}".format(**locals()) + "", definition={'type': 'integer', 'minimum': 0}, rule='type')
                                if isinstance(data__accounting__dropped_value, (int, float, Decimal)) and not isinstance(data__accounting__dropped_value, bool):
                                    if data__accounting__dropped_value < 0:
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".accounting.dropped.{data__accounting__dropped_key}".format(**locals()) + " must be bigger than or equal to 0", value=data__accounting__dropped_value, name="" + (name_prefix or "data") + ".accounting.dropped.{data__accounting__dropped_key}".format(**locals()) + "", definition={'type': 'integer', 'minimum': 0}, rule='minimum')
                if data__accounting_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".accounting must not contain "+str(data__accounting_keys)+" properties", value=data__accounting, name="" + (name_prefix or "data") + ".accounting", definition={'type': 'object', 'additionalProperties': False, 'required': ['input', 'written', 'dropped'], 'properties': {'input': {'type': 'integer', 'minimum': 0, 'description': 'Input units (steps for convert).'}, 'written': {'type': 'integer', 'minimum': 0, 'description': 'Examples written (once, whatever the number of formats).'}, 'dropped': {'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}, 'description': 'Dead-lettered inputs by reason; input == written + sum(dropped).'}}}, rule='additionalProperties')
        if "sources" in data_keys:
            data_keys.remove("sources")
            data__sources = data["sources"]
            if not isinstance(data__sources, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".sources must be object", value=data__sources, name="" + (name_prefix or "data") + ".sources", definition={'type': 'object', 'description': 'Per-source audit (mix: requested vs realized, repeats, dead letters).'}, rule='type')
        if "files" in data_keys:
            data_keys.remove("files")
            data__files = data["files"]
            if not isinstance(data__files, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".files must be object", value=data__files, name="" + (name_prefix or "data") + ".files", definition={'type': 'object', 'description': "sha256 and size of the output's other files (convert: dataset_statistics.json, dead_letters.jsonl); validate checks them.", 'propertyNames': {'pattern': '^[A-Za-z0-9_][A-Za-z0-9_.-]*$'}, 'additionalProperties': {'type': 'object', 'additionalProperties': False, 'required': ['sha256', 'bytes'], 'properties': {'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$'}, 'bytes': {'type': 'integer', 'minimum': 0}}}}, rule='type')
            data__files_is_dict = isinstance(data__files, dict)
            if data__files_is_dict:
                data__files_keys = set(data__files.keys())
                for data__files_key in data__files_keys:
                    if data__files_key not in []:
                        data__files_value = data__files.get(data__files_key)
                        if not isinstance(data__files_value, (dict)):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".files.{data__files_key}".format(**locals()) + " must be object", value=data__files_value, name="" + (name_prefix or "data") + ".files.{data__files_key}".format(**locals()) + "", definition={'type': 'object', 'additionalProperties': False, 'required': ['sha256', 'bytes'], 'properties': {'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$'}, 'bytes': {'type': 'integer', 'minimum': 0}}}, rule='type')
                        data__files_value_is_dict = isinstance(data__files_value, dict)
                        if data__files_value_is_dict:
                            data__files_value__missing_keys = set(['sha256', 'bytes']) - data__files_value.keys()
                            if data__files_value__missing_keys:
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".files.{data__files_key}".format(**locals()) + " must contain " + (str(sorted(data__files_value__missing_keys)) + " properties"), value=data__files_value, name="" + (name_prefix or "data") + ".files.{data__files_key}".format(**locals()) + "", definition={'type': 'object', 'additionalProperties': False, 'required': ['sha256', 'bytes'], 'properties': {'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$'}, 'bytes': {'type': 'integer', 'minimum': 0}}}, rule='required')
                            data__files_value_keys = set(data__files_value.keys())
                            if "sha256" in data__files_value_keys:
                                data__files_value_keys.remove("sha256")
                                data__files_value__sha256 = data__files_value["sha256"]
                                if not isinstance(data__files_value__sha256, (str)):
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".files.{data__files_key}.sha256".format(**locals()) + " must be string", value=data__files_value__sha256, name="" + (name_prefix or "data") + ".files.{data__files_key}.sha256".format(**locals()) + "", definition={'type': 'string', 'pattern': '^[0-9a-f]{64}$'}, rule='type')
                                if isinstance(data__files_value__sha256, str):
                                    if not REGEX_PATTERNS['^[0-9a-f]{64}$'].search(data__files_value__sha256):
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".files.{data__files_key}.sha256".format(**locals()) + " must match pattern ^[0-9a-f]{64}$", value=data__files_value__sha256, name="" + (name_prefix or "data") + ".files.{data__files_key}.sha256".format(**locals()) + "", definition={'type': 'string', 'pattern': '^[0-9a-f]{64}$'}, rule='pattern')
                            if "bytes" in data__files_value_keys:
                                data__files_value_keys.remove("bytes")
                                data__files_value__bytes = data__files_value["bytes"]
                                if not isinstance(data__files_value__bytes, (int)) and not (isinstance(data__files_value__bytes, float) and data__files_value__bytes.is_integer()) or isinstance(data__files_value__bytes, bool):
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".files.{data__files_key}.bytes".format(**locals()) + " must be integer", value=data__files_value__bytes, name="" + (name_prefix or "data") + ".files.{data__files_key}.bytes".format(**locals()) + "", definition={'type': 'integer', 'minimum': 0}, rule='type')
                                if isinstance(data__files_value__bytes, (int, float, Decimal)) and not isinstance(data__files_value__bytes, bool):
                                    if data__files_value__bytes < 0:
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".files.{data__files_key}.bytes".format(**locals()) + " must be bigger than or equal to 0", value=data__files_value__bytes, name="" + (name_prefix or "data") + ".files.{data__files_key}.bytes".format(**locals()) + "", definition={'type': 'integer', 'minimum': 0}, rule='minimum')
                            if data__files_value_keys:
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".files.{data__files_key}".format(**locals()) + " must not contain "+str(data__files_value_keys)+" properties", value=data__files_value, name="" + (name_prefix or "data") + ".files.{data__files_key}".format(**locals()) + "", definition={'type': 'object', 'additionalProperties': False, 'required': ['sha256', 'bytes'], 'properties': {'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$'}, 'bytes': {'type': 'integer', 'minimum': 0}}}, rule='additionalProperties')
                data__files_len = len(data__files)
                if data__files_len != 0:
                    data__files_property_names = True
                    for data__files_key in data__files:
                        try:
                            if isinstance(data__files_key, str):
                                if not REGEX_PATTERNS['^[A-Za-z0-9_][A-Za-z0-9_.-]*$'].search(data__files_key):
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".files must match pattern ^[A-Za-z0-9_][A-Za-z0-9_.-]*$", value=data__files_key, name="" + (name_prefix or "data") + ".files", definition={'pattern': '^[A-Za-z0-9_][A-Za-z0-9_.-]*$'}, rule='pattern')
                        except (JsonSchemaValueException, JsonSchemaValuesException):
                            data__files_property_names = False
                    if not data__files_property_names:
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".files must be named by propertyName definition", value=data__files, name="" + (name_prefix or "data") + ".files", definition={'type': 'object', 'description': "sha256 and size of the output's other files (convert: dataset_statistics.json, dead_letters.jsonl); validate checks them.", 'propertyNames': {'pattern': '^[A-Za-z0-9_][A-Za-z0-9_.-]*$'}, 'additionalProperties': {'type': 'object', 'additionalProperties': False, 'required': ['sha256', 'bytes'], 'properties': {'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$'}, 'bytes': {'type': 'integer', 'minimum': 0}}}}, rule='propertyNames')
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties", value=data, name="" + (name_prefix or "data") + "", definition={'$id': 'https://rt2data.dev/schemas/manifest.schema.json', 'title': 'rt2data output manifest', 'description': 'manifest.json beside the shards of a convert or mix output. Mirrored in code by rt2data.shards.manifest.Manifest. Sorted keys, no timestamps: the same inputs and config give a byte-identical file.', 'type': 'object', 'additionalProperties': False, 'required': ['format_version', 'kind', 'created_by', 'config', 'config_fingerprint', 'formats', 'shards', 'codec', 'statistics', 'templates', 'accounting', 'sources'], 'properties': {'format_version': {'const': 1, 'description': 'Version of this manifest layout.'}, 'kind': {'enum': ['convert', 'mix'], 'description': 'Which command wrote the output.'}, 'created_by': {'type': 'string', 'pattern': '^rt2data ', 'description': "'rt2data <version>'."}, 'config': {'type': 'object', 'description': 'The full configuration of the run.'}, 'config_fingerprint': {'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the canonical JSON of the output-deciding config; --resume continues only a run with the same fingerprint.'}, 'formats': {'type': 'array', 'items': {'enum': ['wds', 'tfrecord']}, 'uniqueItems': True, 'description': "Formats present, in canonical order (wds, tfrecord); the keys of 'shards'."}, 'shards': {'type': 'object', 'additionalProperties': False, 'properties': {'wds': {'type': 'array', 'items': {'allOf': [{'type': 'object', 'additionalProperties': False, 'required': ['name', 'format', 'count', 'bytes', 'sha256', 'first_key', 'last_key', 'counts_by_source', 'counts_by_kind'], 'properties': {'name': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': 'File name inside the output directory.'}, 'format': {'enum': ['wds', 'tfrecord']}, 'count': {'type': 'integer', 'minimum': 0, 'description': 'Examples in the shard.'}, 'bytes': {'type': 'integer', 'minimum': 0, 'description': 'File size.'}, 'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the file.'}, 'first_key': {'type': ['string', 'null']}, 'last_key': {'type': ['string', 'null']}, 'counts_by_source': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}, 'counts_by_kind': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}}}, {'properties': {'format': {'const': 'wds'}, 'name': {'pattern': '\\.tar$'}}}]}}, 'tfrecord': {'type': 'array', 'items': {'allOf': [{'type': 'object', 'additionalProperties': False, 'required': ['name', 'format', 'count', 'bytes', 'sha256', 'first_key', 'last_key', 'counts_by_source', 'counts_by_kind'], 'properties': {'name': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': 'File name inside the output directory.'}, 'format': {'enum': ['wds', 'tfrecord']}, 'count': {'type': 'integer', 'minimum': 0, 'description': 'Examples in the shard.'}, 'bytes': {'type': 'integer', 'minimum': 0, 'description': 'File size.'}, 'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the file.'}, 'first_key': {'type': ['string', 'null']}, 'last_key': {'type': ['string', 'null']}, 'counts_by_source': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}, 'counts_by_kind': {'$ref': 'https://rt2data.dev/schemas/manifest.schema.json#/$defs/count_map'}}}, {'properties': {'format': {'const': 'tfrecord'}, 'name': {'pattern': '\\.tfrecord$'}}}]}}}, 'description': 'Per format, the shards in read order.'}, 'codec': {'type': ['object', 'null'], 'description': 'Action space and normalization (JSON of the action codec); null for pure web mixes.'}, 'statistics': {'type': ['object', 'null'], 'description': 'Dataset statistics used for normalization, or null.'}, 'templates': {'type': 'object', 'additionalProperties': {'type': 'string'}, 'description': 'Prompt template id -> template text, for every template_id used.'}, 'accounting': {'type': 'object', 'additionalProperties': False, 'required': ['input', 'written', 'dropped'], 'properties': {'input': {'type': 'integer', 'minimum': 0, 'description': 'Input units (steps for convert).'}, 'written': {'type': 'integer', 'minimum': 0, 'description': 'Examples written (once, whatever the number of formats).'}, 'dropped': {'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}, 'description': 'Dead-lettered inputs by reason; input == written + sum(dropped).'}}}, 'sources': {'type': 'object', 'description': 'Per-source audit (mix: requested vs realized, repeats, dead letters).'}, 'files': {'type': 'object', 'description': "sha256 and size of the output's other files (convert: dataset_statistics.json, dead_letters.jsonl); validate checks them.", 'propertyNames': {'pattern': '^[A-Za-z0-9_][A-Za-z0-9_.-]*$'}, 'additionalProperties': {'type': 'object', 'additionalProperties': False, 'required': ['sha256', 'bytes'], 'properties': {'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$'}, 'bytes': {'type': 'integer', 'minimum': 0}}}}}, '$defs': {'count_map': {'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}}, 'shard': {'type': 'object', 'additionalProperties': False, 'required': ['name', 'format', 'count', 'bytes', 'sha256', 'first_key', 'last_key', 'counts_by_source', 'counts_by_kind'], 'properties': {'name': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': 'File name inside the output directory.'}, 'format': {'enum': ['wds', 'tfrecord']}, 'count': {'type': 'integer', 'minimum': 0, 'description': 'Examples in the shard.'}, 'bytes': {'type': 'integer', 'minimum': 0, 'description': 'File size.'}, 'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the file.'}, 'first_key': {'type': ['string', 'null']}, 'last_key': {'type': ['string', 'null']}, 'counts_by_source': {'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}}, 'counts_by_kind': {'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}}}}}}, rule='additionalProperties')
    return data

def validate_https___rt2data_dev_schemas_manifest_schema_json___defs_shard(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'object', 'additionalProperties': False, 'required': ['name', 'format', 'count', 'bytes', 'sha256', 'first_key', 'last_key', 'counts_by_source', 'counts_by_kind'], 'properties': {'name': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': 'File name inside the output directory.'}, 'format': {'enum': ['wds', 'tfrecord']}, 'count': {'type': 'integer', 'minimum': 0, 'description': 'Examples in the shard.'}, 'bytes': {'type': 'integer', 'minimum': 0, 'description': 'File size.'}, 'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the file.'}, 'first_key': {'type': ['string', 'null']}, 'last_key': {'type': ['string', 'null']}, 'counts_by_source': {'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}}, 'counts_by_kind': {'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}}}}, rule='type')
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data__missing_keys = set(['name', 'format', 'count', 'bytes', 'sha256', 'first_key', 'last_key', 'counts_by_source', 'counts_by_kind']) - data.keys()
        if data__missing_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain " + (str(sorted(data__missing_keys)) + " properties"), value=data, name="" + (name_prefix or "data") + "", definition={'type': 'object', 'additionalProperties': False, 'required': ['name', 'format', 'count', 'bytes', 'sha256', 'first_key', 'last_key', 'counts_by_source', 'counts_by_kind'], 'properties': {'name': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': 'File name inside the output directory.'}, 'format': {'enum': ['wds', 'tfrecord']}, 'count': {'type': 'integer', 'minimum': 0, 'description': 'Examples in the shard.'}, 'bytes': {'type': 'integer', 'minimum': 0, 'description': 'File size.'}, 'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the file.'}, 'first_key': {'type': ['string', 'null']}, 'last_key': {'type': ['string', 'null']}, 'counts_by_source': {'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}}, 'counts_by_kind': {'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}}}}, rule='required')
        data_keys = set(data.keys())
        if "name" in data_keys:
            data_keys.remove("name")
            data__name = data["name"]
            if not isinstance(data__name, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".name must be string", value=data__name, name="" + (name_prefix or "data") + ".name", definition={'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': 'File name inside the output directory.'}, rule='type')
            if isinstance(data__name, str):
                if not REGEX_PATTERNS['^[A-Za-z0-9][A-Za-z0-9_.-]*$'].search(data__name):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".name must match pattern ^[A-Za-z0-9][A-Za-z0-9_.-]*$", value=data__name, name="" + (name_prefix or "data") + ".name", definition={'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': 'File name inside the output directory.'}, rule='pattern')
        if "format" in data_keys:
            data_keys.remove("format")
            data__format = data["format"]
            if not (isinstance(data__format, str) and data__format == 'wds' or isinstance(data__format, str) and data__format == 'tfrecord'):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".format must be one of ['wds', 'tfrecord']", value=data__format, name="" + (name_prefix or "data") + ".format", definition={'enum': ['wds', 'tfrecord']}, rule='enum')
        if "count" in data_keys:
            data_keys.remove("count")
            data__count = data["count"]
            if not isinstance(data__count, (int)) and not (isinstance(data__count, float) and data__count.is_integer()) or isinstance(data__count, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".count must be integer", value=data__count, name="" + (name_prefix or "data") + ".count", definition={'type': 'integer', 'minimum': 0, 'description': 'Examples in the shard.'}, rule='type')
            if isinstance(data__count, (int, float, Decimal)) and not isinstance(data__count, bool):
                if data__count < 0:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".count must be bigger than or equal to 0", value=data__count, name="" + (name_prefix or "data") + ".count", definition={'type': 'integer', 'minimum': 0, 'description': 'Examples in the shard.'}, rule='minimum')
        if "bytes" in data_keys:
            data_keys.remove("bytes")
            data__bytes = data["bytes"]
            if not isinstance(data__bytes, (int)) and not (isinstance(data__bytes, float) and data__bytes.is_integer()) or isinstance(data__bytes, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".bytes must be integer", value=data__bytes, name="" + (name_prefix or "data") + ".bytes", definition={'type': 'integer', 'minimum': 0, 'description': 'File size.'}, rule='type')
            if isinstance(data__bytes, (int, float, Decimal)) and not isinstance(data__bytes, bool):
                if data__bytes < 0:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".bytes must be bigger than or equal to 0", value=data__bytes, name="" + (name_prefix or "data") + ".bytes", definition={'type': 'integer', 'minimum': 0, 'description': 'File size.'}, rule='minimum')
        if "sha256" in data_keys:
            data_keys.remove("sha256")
            data__sha256 = data["sha256"]
            if not isinstance(data__sha256, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".sha256 must be string", value=data__sha256, name="" + (name_prefix or "data") + ".sha256", definition={'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the file.'}, rule='type')
            if isinstance(data__sha256, str):
                if not REGEX_PATTERNS['^[0-9a-f]{64}$'].search(data__sha256):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".sha256 must match pattern ^[0-9a-f]{64}$", value=data__sha256, name="" + (name_prefix or "data") + ".sha256", definition={'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the file.'}, rule='pattern')
        if "first_key" in data_keys:
            data_keys.remove("first_key")
            data__firstkey = data["first_key"]
            if not isinstance(data__firstkey, (str, NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".first_key must be string or null", value=data__firstkey, name="" + (name_prefix or "data") + ".first_key", definition={'type': ['string', 'null']}, rule='type')
        if "last_key" in data_keys:
            data_keys.remove("last_key")
            data__lastkey = data["last_key"]
            if not isinstance(data__lastkey, (str, NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".last_key must be string or null", value=data__lastkey, name="" + (name_prefix or "data") + ".last_key", definition={'type': ['string', 'null']}, rule='type')
        if "counts_by_source" in data_keys:
            data_keys.remove("counts_by_source")
            data__countsbysource = data["counts_by_source"]
            validate_https___rt2data_dev_schemas_manifest_schema_json___defs_count_map(data__countsbysource, custom_formats, (name_prefix or "data") + ".counts_by_source")
        if "counts_by_kind" in data_keys:
            data_keys.remove("counts_by_kind")
            data__countsbykind = data["counts_by_kind"]
            validate_https___rt2data_dev_schemas_manifest_schema_json___defs_count_map(data__countsbykind, custom_formats, (name_prefix or "data") + ".counts_by_kind")
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'object', 'additionalProperties': False, 'required': ['name', 'format', 'count', 'bytes', 'sha256', 'first_key', 'last_key', 'counts_by_source', 'counts_by_kind'], 'properties': {'name': {'type': 'string', 'pattern': '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'description': 'File name inside the output directory.'}, 'format': {'enum': ['wds', 'tfrecord']}, 'count': {'type': 'integer', 'minimum': 0, 'description': 'Examples in the shard.'}, 'bytes': {'type': 'integer', 'minimum': 0, 'description': 'File size.'}, 'sha256': {'type': 'string', 'pattern': '^[0-9a-f]{64}$', 'description': 'SHA-256 of the file.'}, 'first_key': {'type': ['string', 'null']}, 'last_key': {'type': ['string', 'null']}, 'counts_by_source': {'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}}, 'counts_by_kind': {'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}}}}, rule='additionalProperties')
    return data

def validate_https___rt2data_dev_schemas_manifest_schema_json___defs_count_map(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}}, rule='type')
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        for data_key in data_keys:
            if data_key not in []:
                data_value = data.get(data_key)
                if not isinstance(data_value, (int)) and not (isinstance(data_value, float) and data_value.is_integer()) or isinstance(data_value, bool):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".{data_key}".format(**locals()) + " must be integer", value=data_value, name="" + (name_prefix or "data") + ".{data_key}".format(**locals()) + "", definition={'type': 'integer', 'minimum': 0}, rule='type')
                if isinstance(data_value, (int, float, Decimal)) and not isinstance(data_value, bool):
                    if data_value < 0:
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".{data_key}".format(**locals()) + " must be bigger than or equal to 0", value=data_value, name="" + (name_prefix or "data") + ".{data_key}".format(**locals()) + "", definition={'type': 'integer', 'minimum': 0}, rule='minimum')
    return data

validate = validate_https___rt2data_dev_schemas_manifest_schema_json
