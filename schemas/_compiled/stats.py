"""Schema 'stats' compiled by fastjsonschema: written by ``python -m rt2data.schemas._compiled``, not by hand."""
# fmt: off
# flake8: noqa
# ruff: noqa

SCHEMA = 'stats'
SCHEMA_DIGEST = '2313cc9725da521452c6487dc2d28f134f62cfc86e68baa5694a27b4d199e5bb'

VERSION = "2.22.3"
from decimal import Decimal
from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException


NoneType = type(None)

def validate_https___rt2data_invalid_schemas_stats_schema_json(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object", value=data, name="" + (name_prefix or "data") + "", definition={'$id': 'https://rt2data.invalid/schemas/stats.schema.json', 'title': 'rt2data dataset statistics', 'description': "OpenVLA-style statistics file: one entry per dataset (the key a trainer's unnorm_key selects) with action (and proprio) statistics, plus rt2data's versioned block that makes the file self-sufficient for de-tokenization. Written by rt2data.stats.write_stats.", 'type': 'object', 'required': ['rt2data'], 'minProperties': 2, 'properties': {'rt2data': {'type': 'object', 'required': ['format_version', 'dataset', 'spec_fingerprint', 'split', 'action_dims', 'sketch', 'codec', 'count'], 'properties': {'format_version': {'const': 1}, 'dataset': {'type': 'string', 'minLength': 1}, 'spec_fingerprint': {'type': 'string', 'minLength': 1}, 'split': {'type': 'string', 'minLength': 1}, 'action_dims': {'type': 'array', 'minItems': 1, 'items': {'type': 'string', 'minLength': 1}}, 'sketch': {'type': 'object', 'required': ['kind', 'relative_accuracy', 'min_indexable'], 'properties': {'kind': {'const': 'ddsketch'}, 'mapping': {'type': 'string'}, 'relative_accuracy': {'type': 'number', 'exclusiveMinimum': 0, 'maximum': 0.5}, 'min_indexable': {'type': 'number', 'minimum': 0}, 'sub_buckets_per_octave': {'type': 'integer', 'minimum': 1}, 'quantile_method': {'type': 'string'}}}, 'codec': {'type': 'object'}, 'count': {'type': 'array', 'minItems': 1, 'items': {'type': 'integer', 'minimum': 1}}}}}, 'additionalProperties': {'type': 'object', 'required': ['action', 'num_transitions', 'num_trajectories'], 'properties': {'action': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/array_stats'}, 'proprio': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/array_stats'}, 'num_transitions': {'type': 'integer', 'minimum': 1}, 'num_trajectories': {'type': 'integer', 'minimum': 1}}, 'additionalProperties': False}, '$defs': {'numbers': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, 'array_stats': {'description': "Per-dimension statistics in the dataset's raw units; std is the population std (ddof=0); q01/q99 are sketch estimates (see rt2data/sketch).", 'type': 'object', 'required': ['mean', 'std', 'min', 'max', 'q01', 'q99'], 'properties': {'mean': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, 'std': {'allOf': [{'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, {'items': {'type': 'number', 'minimum': 0}}]}, 'min': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, 'max': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, 'q01': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, 'q99': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}}, 'additionalProperties': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}}, 'dataset_entry': {'type': 'object', 'required': ['action', 'num_transitions', 'num_trajectories'], 'properties': {'action': {'description': "Per-dimension statistics in the dataset's raw units; std is the population std (ddof=0); q01/q99 are sketch estimates (see rt2data/sketch).", 'type': 'object', 'required': ['mean', 'std', 'min', 'max', 'q01', 'q99'], 'properties': {'mean': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'std': {'allOf': [{'$ref': '#/$defs/numbers'}, {'items': {'type': 'number', 'minimum': 0}}]}, 'min': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'max': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q01': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q99': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'additionalProperties': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'proprio': {'description': "Per-dimension statistics in the dataset's raw units; std is the population std (ddof=0); q01/q99 are sketch estimates (see rt2data/sketch).", 'type': 'object', 'required': ['mean', 'std', 'min', 'max', 'q01', 'q99'], 'properties': {'mean': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'std': {'allOf': [{'$ref': '#/$defs/numbers'}, {'items': {'type': 'number', 'minimum': 0}}]}, 'min': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'max': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q01': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q99': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'additionalProperties': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'num_transitions': {'type': 'integer', 'minimum': 1}, 'num_trajectories': {'type': 'integer', 'minimum': 1}}, 'additionalProperties': False}, 'rt2data_block': {'type': 'object', 'required': ['format_version', 'dataset', 'spec_fingerprint', 'split', 'action_dims', 'sketch', 'codec', 'count'], 'properties': {'format_version': {'const': 1}, 'dataset': {'type': 'string', 'minLength': 1}, 'spec_fingerprint': {'type': 'string', 'minLength': 1}, 'split': {'type': 'string', 'minLength': 1}, 'action_dims': {'type': 'array', 'minItems': 1, 'items': {'type': 'string', 'minLength': 1}}, 'sketch': {'type': 'object', 'required': ['kind', 'relative_accuracy', 'min_indexable'], 'properties': {'kind': {'const': 'ddsketch'}, 'mapping': {'type': 'string'}, 'relative_accuracy': {'type': 'number', 'exclusiveMinimum': 0, 'maximum': 0.5}, 'min_indexable': {'type': 'number', 'minimum': 0}, 'sub_buckets_per_octave': {'type': 'integer', 'minimum': 1}, 'quantile_method': {'type': 'string'}}}, 'codec': {'type': 'object'}, 'count': {'type': 'array', 'minItems': 1, 'items': {'type': 'integer', 'minimum': 1}}}}}}, rule='type')
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_len = len(data)
        if data_len < 2:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain at least 2 properties", value=data, name="" + (name_prefix or "data") + "", definition={'$id': 'https://rt2data.invalid/schemas/stats.schema.json', 'title': 'rt2data dataset statistics', 'description': "OpenVLA-style statistics file: one entry per dataset (the key a trainer's unnorm_key selects) with action (and proprio) statistics, plus rt2data's versioned block that makes the file self-sufficient for de-tokenization. Written by rt2data.stats.write_stats.", 'type': 'object', 'required': ['rt2data'], 'minProperties': 2, 'properties': {'rt2data': {'type': 'object', 'required': ['format_version', 'dataset', 'spec_fingerprint', 'split', 'action_dims', 'sketch', 'codec', 'count'], 'properties': {'format_version': {'const': 1}, 'dataset': {'type': 'string', 'minLength': 1}, 'spec_fingerprint': {'type': 'string', 'minLength': 1}, 'split': {'type': 'string', 'minLength': 1}, 'action_dims': {'type': 'array', 'minItems': 1, 'items': {'type': 'string', 'minLength': 1}}, 'sketch': {'type': 'object', 'required': ['kind', 'relative_accuracy', 'min_indexable'], 'properties': {'kind': {'const': 'ddsketch'}, 'mapping': {'type': 'string'}, 'relative_accuracy': {'type': 'number', 'exclusiveMinimum': 0, 'maximum': 0.5}, 'min_indexable': {'type': 'number', 'minimum': 0}, 'sub_buckets_per_octave': {'type': 'integer', 'minimum': 1}, 'quantile_method': {'type': 'string'}}}, 'codec': {'type': 'object'}, 'count': {'type': 'array', 'minItems': 1, 'items': {'type': 'integer', 'minimum': 1}}}}}, 'additionalProperties': {'type': 'object', 'required': ['action', 'num_transitions', 'num_trajectories'], 'properties': {'action': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/array_stats'}, 'proprio': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/array_stats'}, 'num_transitions': {'type': 'integer', 'minimum': 1}, 'num_trajectories': {'type': 'integer', 'minimum': 1}}, 'additionalProperties': False}, '$defs': {'numbers': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, 'array_stats': {'description': "Per-dimension statistics in the dataset's raw units; std is the population std (ddof=0); q01/q99 are sketch estimates (see rt2data/sketch).", 'type': 'object', 'required': ['mean', 'std', 'min', 'max', 'q01', 'q99'], 'properties': {'mean': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, 'std': {'allOf': [{'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, {'items': {'type': 'number', 'minimum': 0}}]}, 'min': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, 'max': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, 'q01': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, 'q99': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}}, 'additionalProperties': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}}, 'dataset_entry': {'type': 'object', 'required': ['action', 'num_transitions', 'num_trajectories'], 'properties': {'action': {'description': "Per-dimension statistics in the dataset's raw units; std is the population std (ddof=0); q01/q99 are sketch estimates (see rt2data/sketch).", 'type': 'object', 'required': ['mean', 'std', 'min', 'max', 'q01', 'q99'], 'properties': {'mean': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'std': {'allOf': [{'$ref': '#/$defs/numbers'}, {'items': {'type': 'number', 'minimum': 0}}]}, 'min': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'max': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q01': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q99': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'additionalProperties': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'proprio': {'description': "Per-dimension statistics in the dataset's raw units; std is the population std (ddof=0); q01/q99 are sketch estimates (see rt2data/sketch).", 'type': 'object', 'required': ['mean', 'std', 'min', 'max', 'q01', 'q99'], 'properties': {'mean': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'std': {'allOf': [{'$ref': '#/$defs/numbers'}, {'items': {'type': 'number', 'minimum': 0}}]}, 'min': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'max': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q01': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q99': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'additionalProperties': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'num_transitions': {'type': 'integer', 'minimum': 1}, 'num_trajectories': {'type': 'integer', 'minimum': 1}}, 'additionalProperties': False}, 'rt2data_block': {'type': 'object', 'required': ['format_version', 'dataset', 'spec_fingerprint', 'split', 'action_dims', 'sketch', 'codec', 'count'], 'properties': {'format_version': {'const': 1}, 'dataset': {'type': 'string', 'minLength': 1}, 'spec_fingerprint': {'type': 'string', 'minLength': 1}, 'split': {'type': 'string', 'minLength': 1}, 'action_dims': {'type': 'array', 'minItems': 1, 'items': {'type': 'string', 'minLength': 1}}, 'sketch': {'type': 'object', 'required': ['kind', 'relative_accuracy', 'min_indexable'], 'properties': {'kind': {'const': 'ddsketch'}, 'mapping': {'type': 'string'}, 'relative_accuracy': {'type': 'number', 'exclusiveMinimum': 0, 'maximum': 0.5}, 'min_indexable': {'type': 'number', 'minimum': 0}, 'sub_buckets_per_octave': {'type': 'integer', 'minimum': 1}, 'quantile_method': {'type': 'string'}}}, 'codec': {'type': 'object'}, 'count': {'type': 'array', 'minItems': 1, 'items': {'type': 'integer', 'minimum': 1}}}}}}, rule='minProperties')
        data__missing_keys = set(['rt2data']) - data.keys()
        if data__missing_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain " + (str(sorted(data__missing_keys)) + " properties"), value=data, name="" + (name_prefix or "data") + "", definition={'$id': 'https://rt2data.invalid/schemas/stats.schema.json', 'title': 'rt2data dataset statistics', 'description': "OpenVLA-style statistics file: one entry per dataset (the key a trainer's unnorm_key selects) with action (and proprio) statistics, plus rt2data's versioned block that makes the file self-sufficient for de-tokenization. Written by rt2data.stats.write_stats.", 'type': 'object', 'required': ['rt2data'], 'minProperties': 2, 'properties': {'rt2data': {'type': 'object', 'required': ['format_version', 'dataset', 'spec_fingerprint', 'split', 'action_dims', 'sketch', 'codec', 'count'], 'properties': {'format_version': {'const': 1}, 'dataset': {'type': 'string', 'minLength': 1}, 'spec_fingerprint': {'type': 'string', 'minLength': 1}, 'split': {'type': 'string', 'minLength': 1}, 'action_dims': {'type': 'array', 'minItems': 1, 'items': {'type': 'string', 'minLength': 1}}, 'sketch': {'type': 'object', 'required': ['kind', 'relative_accuracy', 'min_indexable'], 'properties': {'kind': {'const': 'ddsketch'}, 'mapping': {'type': 'string'}, 'relative_accuracy': {'type': 'number', 'exclusiveMinimum': 0, 'maximum': 0.5}, 'min_indexable': {'type': 'number', 'minimum': 0}, 'sub_buckets_per_octave': {'type': 'integer', 'minimum': 1}, 'quantile_method': {'type': 'string'}}}, 'codec': {'type': 'object'}, 'count': {'type': 'array', 'minItems': 1, 'items': {'type': 'integer', 'minimum': 1}}}}}, 'additionalProperties': {'type': 'object', 'required': ['action', 'num_transitions', 'num_trajectories'], 'properties': {'action': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/array_stats'}, 'proprio': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/array_stats'}, 'num_transitions': {'type': 'integer', 'minimum': 1}, 'num_trajectories': {'type': 'integer', 'minimum': 1}}, 'additionalProperties': False}, '$defs': {'numbers': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, 'array_stats': {'description': "Per-dimension statistics in the dataset's raw units; std is the population std (ddof=0); q01/q99 are sketch estimates (see rt2data/sketch).", 'type': 'object', 'required': ['mean', 'std', 'min', 'max', 'q01', 'q99'], 'properties': {'mean': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, 'std': {'allOf': [{'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, {'items': {'type': 'number', 'minimum': 0}}]}, 'min': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, 'max': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, 'q01': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, 'q99': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}}, 'additionalProperties': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}}, 'dataset_entry': {'type': 'object', 'required': ['action', 'num_transitions', 'num_trajectories'], 'properties': {'action': {'description': "Per-dimension statistics in the dataset's raw units; std is the population std (ddof=0); q01/q99 are sketch estimates (see rt2data/sketch).", 'type': 'object', 'required': ['mean', 'std', 'min', 'max', 'q01', 'q99'], 'properties': {'mean': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'std': {'allOf': [{'$ref': '#/$defs/numbers'}, {'items': {'type': 'number', 'minimum': 0}}]}, 'min': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'max': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q01': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q99': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'additionalProperties': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'proprio': {'description': "Per-dimension statistics in the dataset's raw units; std is the population std (ddof=0); q01/q99 are sketch estimates (see rt2data/sketch).", 'type': 'object', 'required': ['mean', 'std', 'min', 'max', 'q01', 'q99'], 'properties': {'mean': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'std': {'allOf': [{'$ref': '#/$defs/numbers'}, {'items': {'type': 'number', 'minimum': 0}}]}, 'min': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'max': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q01': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q99': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'additionalProperties': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'num_transitions': {'type': 'integer', 'minimum': 1}, 'num_trajectories': {'type': 'integer', 'minimum': 1}}, 'additionalProperties': False}, 'rt2data_block': {'type': 'object', 'required': ['format_version', 'dataset', 'spec_fingerprint', 'split', 'action_dims', 'sketch', 'codec', 'count'], 'properties': {'format_version': {'const': 1}, 'dataset': {'type': 'string', 'minLength': 1}, 'spec_fingerprint': {'type': 'string', 'minLength': 1}, 'split': {'type': 'string', 'minLength': 1}, 'action_dims': {'type': 'array', 'minItems': 1, 'items': {'type': 'string', 'minLength': 1}}, 'sketch': {'type': 'object', 'required': ['kind', 'relative_accuracy', 'min_indexable'], 'properties': {'kind': {'const': 'ddsketch'}, 'mapping': {'type': 'string'}, 'relative_accuracy': {'type': 'number', 'exclusiveMinimum': 0, 'maximum': 0.5}, 'min_indexable': {'type': 'number', 'minimum': 0}, 'sub_buckets_per_octave': {'type': 'integer', 'minimum': 1}, 'quantile_method': {'type': 'string'}}}, 'codec': {'type': 'object'}, 'count': {'type': 'array', 'minItems': 1, 'items': {'type': 'integer', 'minimum': 1}}}}}}, rule='required')
        data_keys = set(data.keys())
        if "rt2data" in data_keys:
            data_keys.remove("rt2data")
            data__rt2data = data["rt2data"]
            validate_https___rt2data_invalid_schemas_stats_schema_json___defs_rt2data_block(data__rt2data, custom_formats, (name_prefix or "data") + ".rt2data")
        for data_key in data_keys:
            if data_key not in ['rt2data']:
                data_value = data.get(data_key)
                validate_https___rt2data_invalid_schemas_stats_schema_json___defs_dataset_entry(data_value, custom_formats, (name_prefix or "data") + ".{data_key}".format(**locals()))
    return data

def validate_https___rt2data_invalid_schemas_stats_schema_json___defs_dataset_entry(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'object', 'required': ['action', 'num_transitions', 'num_trajectories'], 'properties': {'action': {'description': "Per-dimension statistics in the dataset's raw units; std is the population std (ddof=0); q01/q99 are sketch estimates (see rt2data/sketch).", 'type': 'object', 'required': ['mean', 'std', 'min', 'max', 'q01', 'q99'], 'properties': {'mean': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'std': {'allOf': [{'$ref': '#/$defs/numbers'}, {'items': {'type': 'number', 'minimum': 0}}]}, 'min': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'max': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q01': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q99': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'additionalProperties': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'proprio': {'description': "Per-dimension statistics in the dataset's raw units; std is the population std (ddof=0); q01/q99 are sketch estimates (see rt2data/sketch).", 'type': 'object', 'required': ['mean', 'std', 'min', 'max', 'q01', 'q99'], 'properties': {'mean': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'std': {'allOf': [{'$ref': '#/$defs/numbers'}, {'items': {'type': 'number', 'minimum': 0}}]}, 'min': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'max': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q01': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q99': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'additionalProperties': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'num_transitions': {'type': 'integer', 'minimum': 1}, 'num_trajectories': {'type': 'integer', 'minimum': 1}}, 'additionalProperties': False}, rule='type')
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data__missing_keys = set(['action', 'num_transitions', 'num_trajectories']) - data.keys()
        if data__missing_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain " + (str(sorted(data__missing_keys)) + " properties"), value=data, name="" + (name_prefix or "data") + "", definition={'type': 'object', 'required': ['action', 'num_transitions', 'num_trajectories'], 'properties': {'action': {'description': "Per-dimension statistics in the dataset's raw units; std is the population std (ddof=0); q01/q99 are sketch estimates (see rt2data/sketch).", 'type': 'object', 'required': ['mean', 'std', 'min', 'max', 'q01', 'q99'], 'properties': {'mean': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'std': {'allOf': [{'$ref': '#/$defs/numbers'}, {'items': {'type': 'number', 'minimum': 0}}]}, 'min': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'max': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q01': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q99': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'additionalProperties': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'proprio': {'description': "Per-dimension statistics in the dataset's raw units; std is the population std (ddof=0); q01/q99 are sketch estimates (see rt2data/sketch).", 'type': 'object', 'required': ['mean', 'std', 'min', 'max', 'q01', 'q99'], 'properties': {'mean': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'std': {'allOf': [{'$ref': '#/$defs/numbers'}, {'items': {'type': 'number', 'minimum': 0}}]}, 'min': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'max': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q01': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q99': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'additionalProperties': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'num_transitions': {'type': 'integer', 'minimum': 1}, 'num_trajectories': {'type': 'integer', 'minimum': 1}}, 'additionalProperties': False}, rule='required')
        data_keys = set(data.keys())
        if "action" in data_keys:
            data_keys.remove("action")
            data__action = data["action"]
            validate_https___rt2data_invalid_schemas_stats_schema_json___defs_array_stats(data__action, custom_formats, (name_prefix or "data") + ".action")
        if "proprio" in data_keys:
            data_keys.remove("proprio")
            data__proprio = data["proprio"]
            validate_https___rt2data_invalid_schemas_stats_schema_json___defs_array_stats(data__proprio, custom_formats, (name_prefix or "data") + ".proprio")
        if "num_transitions" in data_keys:
            data_keys.remove("num_transitions")
            data__numtransitions = data["num_transitions"]
            if not isinstance(data__numtransitions, (int)) and not (isinstance(data__numtransitions, float) and data__numtransitions.is_integer()) or isinstance(data__numtransitions, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".num_transitions must be integer", value=data__numtransitions, name="" + (name_prefix or "data") + ".num_transitions", definition={'type': 'integer', 'minimum': 1}, rule='type')
            if isinstance(data__numtransitions, (int, float, Decimal)) and not isinstance(data__numtransitions, bool):
                if data__numtransitions < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".num_transitions must be bigger than or equal to 1", value=data__numtransitions, name="" + (name_prefix or "data") + ".num_transitions", definition={'type': 'integer', 'minimum': 1}, rule='minimum')
        if "num_trajectories" in data_keys:
            data_keys.remove("num_trajectories")
            data__numtrajectories = data["num_trajectories"]
            if not isinstance(data__numtrajectories, (int)) and not (isinstance(data__numtrajectories, float) and data__numtrajectories.is_integer()) or isinstance(data__numtrajectories, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".num_trajectories must be integer", value=data__numtrajectories, name="" + (name_prefix or "data") + ".num_trajectories", definition={'type': 'integer', 'minimum': 1}, rule='type')
            if isinstance(data__numtrajectories, (int, float, Decimal)) and not isinstance(data__numtrajectories, bool):
                if data__numtrajectories < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".num_trajectories must be bigger than or equal to 1", value=data__numtrajectories, name="" + (name_prefix or "data") + ".num_trajectories", definition={'type': 'integer', 'minimum': 1}, rule='minimum')
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'object', 'required': ['action', 'num_transitions', 'num_trajectories'], 'properties': {'action': {'description': "Per-dimension statistics in the dataset's raw units; std is the population std (ddof=0); q01/q99 are sketch estimates (see rt2data/sketch).", 'type': 'object', 'required': ['mean', 'std', 'min', 'max', 'q01', 'q99'], 'properties': {'mean': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'std': {'allOf': [{'$ref': '#/$defs/numbers'}, {'items': {'type': 'number', 'minimum': 0}}]}, 'min': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'max': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q01': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q99': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'additionalProperties': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'proprio': {'description': "Per-dimension statistics in the dataset's raw units; std is the population std (ddof=0); q01/q99 are sketch estimates (see rt2data/sketch).", 'type': 'object', 'required': ['mean', 'std', 'min', 'max', 'q01', 'q99'], 'properties': {'mean': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'std': {'allOf': [{'$ref': '#/$defs/numbers'}, {'items': {'type': 'number', 'minimum': 0}}]}, 'min': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'max': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q01': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}, 'q99': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'additionalProperties': {'$ref': 'https://rt2data.invalid/schemas/stats.schema.json#/$defs/numbers'}}, 'num_transitions': {'type': 'integer', 'minimum': 1}, 'num_trajectories': {'type': 'integer', 'minimum': 1}}, 'additionalProperties': False}, rule='additionalProperties')
    return data

def validate_https___rt2data_invalid_schemas_stats_schema_json___defs_array_stats(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object", value=data, name="" + (name_prefix or "data") + "", definition={'description': "Per-dimension statistics in the dataset's raw units; std is the population std (ddof=0); q01/q99 are sketch estimates (see rt2data/sketch).", 'type': 'object', 'required': ['mean', 'std', 'min', 'max', 'q01', 'q99'], 'properties': {'mean': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, 'std': {'allOf': [{'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, {'items': {'type': 'number', 'minimum': 0}}]}, 'min': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, 'max': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, 'q01': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, 'q99': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}}, 'additionalProperties': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}}, rule='type')
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data__missing_keys = set(['mean', 'std', 'min', 'max', 'q01', 'q99']) - data.keys()
        if data__missing_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain " + (str(sorted(data__missing_keys)) + " properties"), value=data, name="" + (name_prefix or "data") + "", definition={'description': "Per-dimension statistics in the dataset's raw units; std is the population std (ddof=0); q01/q99 are sketch estimates (see rt2data/sketch).", 'type': 'object', 'required': ['mean', 'std', 'min', 'max', 'q01', 'q99'], 'properties': {'mean': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, 'std': {'allOf': [{'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, {'items': {'type': 'number', 'minimum': 0}}]}, 'min': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, 'max': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, 'q01': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, 'q99': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}}, 'additionalProperties': {'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}}, rule='required')
        data_keys = set(data.keys())
        if "mean" in data_keys:
            data_keys.remove("mean")
            data__mean = data["mean"]
            validate_https___rt2data_invalid_schemas_stats_schema_json___defs_numbers(data__mean, custom_formats, (name_prefix or "data") + ".mean")
        if "std" in data_keys:
            data_keys.remove("std")
            data__std = data["std"]
            validate_https___rt2data_invalid_schemas_stats_schema_json___defs_numbers(data__std, custom_formats, (name_prefix or "data") + ".std")
            data__std_is_list = isinstance(data__std, (list, tuple))
            if data__std_is_list:
                data__std_len = len(data__std)
                for data__std_x, data__std_item in enumerate(data__std):
                    if not isinstance(data__std_item, (int, float, Decimal)) or isinstance(data__std_item, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".std[{data__std_x}]".format(**locals()) + " must be number", value=data__std_item, name="" + (name_prefix or "data") + ".std[{data__std_x}]".format(**locals()) + "", definition={'type': 'number', 'minimum': 0}, rule='type')
                    if isinstance(data__std_item, (int, float, Decimal)) and not isinstance(data__std_item, bool):
                        if data__std_item < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".std[{data__std_x}]".format(**locals()) + " must be bigger than or equal to 0", value=data__std_item, name="" + (name_prefix or "data") + ".std[{data__std_x}]".format(**locals()) + "", definition={'type': 'number', 'minimum': 0}, rule='minimum')
        if "min" in data_keys:
            data_keys.remove("min")
            data__min = data["min"]
            validate_https___rt2data_invalid_schemas_stats_schema_json___defs_numbers(data__min, custom_formats, (name_prefix or "data") + ".min")
        if "max" in data_keys:
            data_keys.remove("max")
            data__max = data["max"]
            validate_https___rt2data_invalid_schemas_stats_schema_json___defs_numbers(data__max, custom_formats, (name_prefix or "data") + ".max")
        if "q01" in data_keys:
            data_keys.remove("q01")
            data__q01 = data["q01"]
            validate_https___rt2data_invalid_schemas_stats_schema_json___defs_numbers(data__q01, custom_formats, (name_prefix or "data") + ".q01")
        if "q99" in data_keys:
            data_keys.remove("q99")
            data__q99 = data["q99"]
            validate_https___rt2data_invalid_schemas_stats_schema_json___defs_numbers(data__q99, custom_formats, (name_prefix or "data") + ".q99")
        for data_key in data_keys:
            if data_key not in ['mean', 'std', 'min', 'max', 'q01', 'q99']:
                data_value = data.get(data_key)
                validate_https___rt2data_invalid_schemas_stats_schema_json___defs_numbers(data_value, custom_formats, (name_prefix or "data") + ".{data_key}".format(**locals()))
    return data

def validate_https___rt2data_invalid_schemas_stats_schema_json___defs_numbers(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (list, tuple)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be array", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, rule='type')
    data_is_list = isinstance(data, (list, tuple))
    if data_is_list:
        data_len = len(data)
        if data_len < 1:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain at least 1 items", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'array', 'minItems': 1, 'items': {'type': 'number'}}, rule='minItems')
        for data_x, data_item in enumerate(data):
            if not isinstance(data_item, (int, float, Decimal)) or isinstance(data_item, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + "[{data_x}]".format(**locals()) + " must be number", value=data_item, name="" + (name_prefix or "data") + "[{data_x}]".format(**locals()) + "", definition={'type': 'number'}, rule='type')
    return data

def validate_https___rt2data_invalid_schemas_stats_schema_json___defs_rt2data_block(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object", value=data, name="" + (name_prefix or "data") + "", definition={'type': 'object', 'required': ['format_version', 'dataset', 'spec_fingerprint', 'split', 'action_dims', 'sketch', 'codec', 'count'], 'properties': {'format_version': {'const': 1}, 'dataset': {'type': 'string', 'minLength': 1}, 'spec_fingerprint': {'type': 'string', 'minLength': 1}, 'split': {'type': 'string', 'minLength': 1}, 'action_dims': {'type': 'array', 'minItems': 1, 'items': {'type': 'string', 'minLength': 1}}, 'sketch': {'type': 'object', 'required': ['kind', 'relative_accuracy', 'min_indexable'], 'properties': {'kind': {'const': 'ddsketch'}, 'mapping': {'type': 'string'}, 'relative_accuracy': {'type': 'number', 'exclusiveMinimum': 0, 'maximum': 0.5}, 'min_indexable': {'type': 'number', 'minimum': 0}, 'sub_buckets_per_octave': {'type': 'integer', 'minimum': 1}, 'quantile_method': {'type': 'string'}}}, 'codec': {'type': 'object'}, 'count': {'type': 'array', 'minItems': 1, 'items': {'type': 'integer', 'minimum': 1}}}}, rule='type')
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data__missing_keys = set(['format_version', 'dataset', 'spec_fingerprint', 'split', 'action_dims', 'sketch', 'codec', 'count']) - data.keys()
        if data__missing_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain " + (str(sorted(data__missing_keys)) + " properties"), value=data, name="" + (name_prefix or "data") + "", definition={'type': 'object', 'required': ['format_version', 'dataset', 'spec_fingerprint', 'split', 'action_dims', 'sketch', 'codec', 'count'], 'properties': {'format_version': {'const': 1}, 'dataset': {'type': 'string', 'minLength': 1}, 'spec_fingerprint': {'type': 'string', 'minLength': 1}, 'split': {'type': 'string', 'minLength': 1}, 'action_dims': {'type': 'array', 'minItems': 1, 'items': {'type': 'string', 'minLength': 1}}, 'sketch': {'type': 'object', 'required': ['kind', 'relative_accuracy', 'min_indexable'], 'properties': {'kind': {'const': 'ddsketch'}, 'mapping': {'type': 'string'}, 'relative_accuracy': {'type': 'number', 'exclusiveMinimum': 0, 'maximum': 0.5}, 'min_indexable': {'type': 'number', 'minimum': 0}, 'sub_buckets_per_octave': {'type': 'integer', 'minimum': 1}, 'quantile_method': {'type': 'string'}}}, 'codec': {'type': 'object'}, 'count': {'type': 'array', 'minItems': 1, 'items': {'type': 'integer', 'minimum': 1}}}}, rule='required')
        data_keys = set(data.keys())
        if "format_version" in data_keys:
            data_keys.remove("format_version")
            data__formatversion = data["format_version"]
            if not (isinstance(data__formatversion, (int, float)) and not isinstance(data__formatversion, bool) and data__formatversion == 1):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".format_version must be same as const definition: 1", value=data__formatversion, name="" + (name_prefix or "data") + ".format_version", definition={'const': 1}, rule='const')
        if "dataset" in data_keys:
            data_keys.remove("dataset")
            data__dataset = data["dataset"]
            if not isinstance(data__dataset, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".dataset must be string", value=data__dataset, name="" + (name_prefix or "data") + ".dataset", definition={'type': 'string', 'minLength': 1}, rule='type')
            if isinstance(data__dataset, str):
                data__dataset_len = len(data__dataset)
                if data__dataset_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".dataset must be longer than or equal to 1 characters", value=data__dataset, name="" + (name_prefix or "data") + ".dataset", definition={'type': 'string', 'minLength': 1}, rule='minLength')
        if "spec_fingerprint" in data_keys:
            data_keys.remove("spec_fingerprint")
            data__specfingerprint = data["spec_fingerprint"]
            if not isinstance(data__specfingerprint, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".spec_fingerprint must be string", value=data__specfingerprint, name="" + (name_prefix or "data") + ".spec_fingerprint", definition={'type': 'string', 'minLength': 1}, rule='type')
            if isinstance(data__specfingerprint, str):
                data__specfingerprint_len = len(data__specfingerprint)
                if data__specfingerprint_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".spec_fingerprint must be longer than or equal to 1 characters", value=data__specfingerprint, name="" + (name_prefix or "data") + ".spec_fingerprint", definition={'type': 'string', 'minLength': 1}, rule='minLength')
        if "split" in data_keys:
            data_keys.remove("split")
            data__split = data["split"]
            if not isinstance(data__split, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".split must be string", value=data__split, name="" + (name_prefix or "data") + ".split", definition={'type': 'string', 'minLength': 1}, rule='type')
            if isinstance(data__split, str):
                data__split_len = len(data__split)
                if data__split_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".split must be longer than or equal to 1 characters", value=data__split, name="" + (name_prefix or "data") + ".split", definition={'type': 'string', 'minLength': 1}, rule='minLength')
        if "action_dims" in data_keys:
            data_keys.remove("action_dims")
            data__actiondims = data["action_dims"]
            if not isinstance(data__actiondims, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".action_dims must be array", value=data__actiondims, name="" + (name_prefix or "data") + ".action_dims", definition={'type': 'array', 'minItems': 1, 'items': {'type': 'string', 'minLength': 1}}, rule='type')
            data__actiondims_is_list = isinstance(data__actiondims, (list, tuple))
            if data__actiondims_is_list:
                data__actiondims_len = len(data__actiondims)
                if data__actiondims_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".action_dims must contain at least 1 items", value=data__actiondims, name="" + (name_prefix or "data") + ".action_dims", definition={'type': 'array', 'minItems': 1, 'items': {'type': 'string', 'minLength': 1}}, rule='minItems')
                for data__actiondims_x, data__actiondims_item in enumerate(data__actiondims):
                    if not isinstance(data__actiondims_item, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".action_dims[{data__actiondims_x}]".format(**locals()) + " must be string", value=data__actiondims_item, name="" + (name_prefix or "data") + ".action_dims[{data__actiondims_x}]".format(**locals()) + "", definition={'type': 'string', 'minLength': 1}, rule='type')
                    if isinstance(data__actiondims_item, str):
                        data__actiondims_item_len = len(data__actiondims_item)
                        if data__actiondims_item_len < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".action_dims[{data__actiondims_x}]".format(**locals()) + " must be longer than or equal to 1 characters", value=data__actiondims_item, name="" + (name_prefix or "data") + ".action_dims[{data__actiondims_x}]".format(**locals()) + "", definition={'type': 'string', 'minLength': 1}, rule='minLength')
        if "sketch" in data_keys:
            data_keys.remove("sketch")
            data__sketch = data["sketch"]
            if not isinstance(data__sketch, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".sketch must be object", value=data__sketch, name="" + (name_prefix or "data") + ".sketch", definition={'type': 'object', 'required': ['kind', 'relative_accuracy', 'min_indexable'], 'properties': {'kind': {'const': 'ddsketch'}, 'mapping': {'type': 'string'}, 'relative_accuracy': {'type': 'number', 'exclusiveMinimum': 0, 'maximum': 0.5}, 'min_indexable': {'type': 'number', 'minimum': 0}, 'sub_buckets_per_octave': {'type': 'integer', 'minimum': 1}, 'quantile_method': {'type': 'string'}}}, rule='type')
            data__sketch_is_dict = isinstance(data__sketch, dict)
            if data__sketch_is_dict:
                data__sketch__missing_keys = set(['kind', 'relative_accuracy', 'min_indexable']) - data__sketch.keys()
                if data__sketch__missing_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".sketch must contain " + (str(sorted(data__sketch__missing_keys)) + " properties"), value=data__sketch, name="" + (name_prefix or "data") + ".sketch", definition={'type': 'object', 'required': ['kind', 'relative_accuracy', 'min_indexable'], 'properties': {'kind': {'const': 'ddsketch'}, 'mapping': {'type': 'string'}, 'relative_accuracy': {'type': 'number', 'exclusiveMinimum': 0, 'maximum': 0.5}, 'min_indexable': {'type': 'number', 'minimum': 0}, 'sub_buckets_per_octave': {'type': 'integer', 'minimum': 1}, 'quantile_method': {'type': 'string'}}}, rule='required')
                data__sketch_keys = set(data__sketch.keys())
                if "kind" in data__sketch_keys:
                    data__sketch_keys.remove("kind")
                    data__sketch__kind = data__sketch["kind"]
                    if not (isinstance(data__sketch__kind, str) and data__sketch__kind == 'ddsketch'):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".sketch.kind must be same as const definition: ddsketch", value=data__sketch__kind, name="" + (name_prefix or "data") + ".sketch.kind", definition={'const': 'ddsketch'}, rule='const')
                if "mapping" in data__sketch_keys:
                    data__sketch_keys.remove("mapping")
                    data__sketch__mapping = data__sketch["mapping"]
                    if not isinstance(data__sketch__mapping, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".sketch.mapping must be string", value=data__sketch__mapping, name="" + (name_prefix or "data") + ".sketch.mapping", definition={'type': 'string'}, rule='type')
                if "relative_accuracy" in data__sketch_keys:
                    data__sketch_keys.remove("relative_accuracy")
                    data__sketch__relativeaccuracy = data__sketch["relative_accuracy"]
                    if not isinstance(data__sketch__relativeaccuracy, (int, float, Decimal)) or isinstance(data__sketch__relativeaccuracy, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".sketch.relative_accuracy must be number", value=data__sketch__relativeaccuracy, name="" + (name_prefix or "data") + ".sketch.relative_accuracy", definition={'type': 'number', 'exclusiveMinimum': 0, 'maximum': 0.5}, rule='type')
                    if isinstance(data__sketch__relativeaccuracy, (int, float, Decimal)) and not isinstance(data__sketch__relativeaccuracy, bool):
                        if data__sketch__relativeaccuracy > 0.5:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".sketch.relative_accuracy must be smaller than or equal to 0.5", value=data__sketch__relativeaccuracy, name="" + (name_prefix or "data") + ".sketch.relative_accuracy", definition={'type': 'number', 'exclusiveMinimum': 0, 'maximum': 0.5}, rule='maximum')
                        if data__sketch__relativeaccuracy <= 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".sketch.relative_accuracy must be bigger than 0", value=data__sketch__relativeaccuracy, name="" + (name_prefix or "data") + ".sketch.relative_accuracy", definition={'type': 'number', 'exclusiveMinimum': 0, 'maximum': 0.5}, rule='exclusiveMinimum')
                if "min_indexable" in data__sketch_keys:
                    data__sketch_keys.remove("min_indexable")
                    data__sketch__minindexable = data__sketch["min_indexable"]
                    if not isinstance(data__sketch__minindexable, (int, float, Decimal)) or isinstance(data__sketch__minindexable, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".sketch.min_indexable must be number", value=data__sketch__minindexable, name="" + (name_prefix or "data") + ".sketch.min_indexable", definition={'type': 'number', 'minimum': 0}, rule='type')
                    if isinstance(data__sketch__minindexable, (int, float, Decimal)) and not isinstance(data__sketch__minindexable, bool):
                        if data__sketch__minindexable < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".sketch.min_indexable must be bigger than or equal to 0", value=data__sketch__minindexable, name="" + (name_prefix or "data") + ".sketch.min_indexable", definition={'type': 'number', 'minimum': 0}, rule='minimum')
                if "sub_buckets_per_octave" in data__sketch_keys:
                    data__sketch_keys.remove("sub_buckets_per_octave")
                    data__sketch__subbucketsperoctave = data__sketch["sub_buckets_per_octave"]
                    if not isinstance(data__sketch__subbucketsperoctave, (int)) and not (isinstance(data__sketch__subbucketsperoctave, float) and data__sketch__subbucketsperoctave.is_integer()) or isinstance(data__sketch__subbucketsperoctave, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".sketch.sub_buckets_per_octave must be integer", value=data__sketch__subbucketsperoctave, name="" + (name_prefix or "data") + ".sketch.sub_buckets_per_octave", definition={'type': 'integer', 'minimum': 1}, rule='type')
                    if isinstance(data__sketch__subbucketsperoctave, (int, float, Decimal)) and not isinstance(data__sketch__subbucketsperoctave, bool):
                        if data__sketch__subbucketsperoctave < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".sketch.sub_buckets_per_octave must be bigger than or equal to 1", value=data__sketch__subbucketsperoctave, name="" + (name_prefix or "data") + ".sketch.sub_buckets_per_octave", definition={'type': 'integer', 'minimum': 1}, rule='minimum')
                if "quantile_method" in data__sketch_keys:
                    data__sketch_keys.remove("quantile_method")
                    data__sketch__quantilemethod = data__sketch["quantile_method"]
                    if not isinstance(data__sketch__quantilemethod, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".sketch.quantile_method must be string", value=data__sketch__quantilemethod, name="" + (name_prefix or "data") + ".sketch.quantile_method", definition={'type': 'string'}, rule='type')
        if "codec" in data_keys:
            data_keys.remove("codec")
            data__codec = data["codec"]
            if not isinstance(data__codec, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".codec must be object", value=data__codec, name="" + (name_prefix or "data") + ".codec", definition={'type': 'object'}, rule='type')
        if "count" in data_keys:
            data_keys.remove("count")
            data__count = data["count"]
            if not isinstance(data__count, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".count must be array", value=data__count, name="" + (name_prefix or "data") + ".count", definition={'type': 'array', 'minItems': 1, 'items': {'type': 'integer', 'minimum': 1}}, rule='type')
            data__count_is_list = isinstance(data__count, (list, tuple))
            if data__count_is_list:
                data__count_len = len(data__count)
                if data__count_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".count must contain at least 1 items", value=data__count, name="" + (name_prefix or "data") + ".count", definition={'type': 'array', 'minItems': 1, 'items': {'type': 'integer', 'minimum': 1}}, rule='minItems')
                for data__count_x, data__count_item in enumerate(data__count):
                    if not isinstance(data__count_item, (int)) and not (isinstance(data__count_item, float) and data__count_item.is_integer()) or isinstance(data__count_item, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".count[{data__count_x}]".format(**locals()) + " must be integer", value=data__count_item, name="" + (name_prefix or "data") + ".count[{data__count_x}]".format(**locals()) + "", definition={'type': 'integer', 'minimum': 1}, rule='type')
                    if isinstance(data__count_item, (int, float, Decimal)) and not isinstance(data__count_item, bool):
                        if data__count_item < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".count[{data__count_x}]".format(**locals()) + " must be bigger than or equal to 1", value=data__count_item, name="" + (name_prefix or "data") + ".count[{data__count_x}]".format(**locals()) + "", definition={'type': 'integer', 'minimum': 1}, rule='minimum')
    return data

validate = validate_https___rt2data_invalid_schemas_stats_schema_json
