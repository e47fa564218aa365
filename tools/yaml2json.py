#!/usr/bin/env python3
"""yaml2json.py: openapi.yaml -> compact JSON, at build time.

Usage: yaml2json.py IN.yaml OUT.json (needs python3-yaml)."""
import json
import sys

import yaml

with open(sys.argv[1], encoding='utf-8') as f:
    doc = yaml.safe_load(f)
with open(sys.argv[2], 'w', encoding='utf-8') as f:
    json.dump(doc, f, separators=(',', ':'), ensure_ascii=False)
