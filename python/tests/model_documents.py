"""The part of a model file that two fits of the same model share: everything but the time it
was written (`created_utc`), its checksum (which covers that time) and, where asked, entries
of `params` that name the caller's inputs (the CLI's file list)."""
import json


def comparable(text: str, ignore_params=()) -> dict:
    doc = json.loads(text)
    doc.pop("created_utc")
    doc.pop("checksum")
    for key in ignore_params:
        doc["params"].pop(key, None)
    return doc


def assert_same(a_text: str, b_text: str, ignore_params=()):
    assert comparable(a_text, ignore_params) == comparable(b_text, ignore_params)
