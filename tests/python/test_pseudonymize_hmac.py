"""`cie --pseudonymize-ids KEYFILE` checked against Python's hmac and hashlib.

  * CDNOW master (23,570 customers): `cie rfm` with a key writes, for every customer, exactly
    hmac.new(key, id, sha256).hexdigest() of the id as it appears in the input file, computed here
    from the input (not from cie's output); every other column equals the plain run's, row for
    row; a second run gives the same bytes; another key gives other hashes for every customer.
  * Ids with UTF-8, quotes, commas and spaces: the hash is over the id's bytes after CSV
    unquoting.
  * Neither the key nor a raw id appears in the output or on stdout/stderr (--log-level debug).
"""

import argparse
import hashlib
import hmac
import os
import pathlib
import subprocess
import sys
import tempfile

import pandas as pd


def run_cie(cie, args):
    result = subprocess.run([cie, "--log-level", "debug", *args], capture_output=True)
    if result.returncode != 0:
        sys.exit(f"cie {' '.join(args)} failed ({result.returncode}): {result.stderr.decode()}")
    return result.stdout + result.stderr


def write_key(path, key):
    path.write_bytes(key)
    os.chmod(path, 0o600)


def expected_hash(key, customer_id):
    return hmac.new(key, customer_id.encode("utf-8"), hashlib.sha256).hexdigest()


def read_output(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def check_cdnow(cie, data, work):
    source = data / "cdnow" / "CDNOW_master.txt"
    raw_ids = pd.read_csv(source, sep=r"\s+", dtype=str)["customer_id"].unique()
    key, other_key = os.urandom(32), os.urandom(48)
    write_key(work / "key", key)
    write_key(work / "other.key", other_key)
    args = ["rfm", "--transactions", str(source), "--delimiter", "whitespace", "--amount-col",
            "dollar_value", "--as-of", "1998-07-01"]
    run_cie(cie, [*args, "--out", str(work / "plain.csv")])
    messages = run_cie(cie, ["--pseudonymize-ids", str(work / "key"), *args,
                             "--out", str(work / "a.csv")])
    run_cie(cie, ["--pseudonymize-ids", str(work / "key"), *args, "--out", str(work / "b.csv")])
    run_cie(cie, ["--pseudonymize-ids", str(work / "other.key"), *args,
                  "--out", str(work / "other.csv")])
    plain, hashed, other = (read_output(work / f) for f in ["plain.csv", "a.csv", "other.csv"])
    failures = 0
    # The hashes are computed from the input file's ids; the plain run tells which row is whose.
    if set(plain["customer_id"]) != set(raw_ids):
        print("CDNOW: the plain run's ids are not the input's")
        failures += 1
    expected = [expected_hash(key, i) for i in plain["customer_id"]]
    if list(hashed["customer_id"]) != expected:
        wrong = sum(a != b for a, b in zip(hashed["customer_id"], expected))
        print(f"CDNOW: {wrong} of {len(expected)} hashed ids differ from Python's HMAC-SHA-256")
        failures += 1
    if not hashed.drop(columns="customer_id").equals(plain.drop(columns="customer_id")):
        print("CDNOW: the pseudonymized output differs from the plain one outside the id column")
        failures += 1
    if (work / "a.csv").read_bytes() != (work / "b.csv").read_bytes():
        print("CDNOW: two runs with the same key wrote different files")
        failures += 1
    same = (other["customer_id"] == hashed["customer_id"]).sum()
    if same != 0 or list(other["customer_id"]) != [expected_hash(other_key, i)
                                                 for i in plain["customer_id"]]:
        print(f"CDNOW: another key left {same} hashes equal or differs from Python's")
        failures += 1
    output = (work / "a.csv").read_bytes()
    if key.hex().encode() in output + messages or key in output + messages:
        print("CDNOW: the key appears in the output or the messages")
        failures += 1
    print(f"CDNOW: {len(expected)} customers, hashes equal Python's hmac: {failures == 0}")
    return failures


def check_awkward_ids(cie, work):
    ids = ["Zoë Ångström", 'say "hi"', "a,b", " padded ", "x" * 300]
    lines = ["customer_id,date,amount"]
    for n, customer_id in enumerate(ids):
        quoted = '"' + customer_id.replace('"', '""') + '"'
        lines.append(f"{quoted},2024-01-{n + 1:02},{n + 1}.5")
    (work / "awkward.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    key = b"k" * 40
    write_key(work / "awkward.key", key)
    messages = run_cie(cie, ["--pseudonymize-ids", str(work / "awkward.key"), "rfm",
                             "--transactions", str(work / "awkward.csv"), "--as-of", "2024-02-01",
                             "--out", str(work / "awkward_out.csv")])
    out = read_output(work / "awkward_out.csv")
    expected = sorted(expected_hash(key, i) for i in ids)
    failures = 0
    if sorted(out["customer_id"]) != expected:
        print(f"awkward ids: cie wrote {list(out['customer_id'])}, Python computes {expected}")
        failures += 1
    text = (work / "awkward_out.csv").read_bytes() + messages
    leaked = [i for i in ids if i.encode("utf-8") in text]
    if leaked:
        print(f"awkward ids: raw ids in the output or messages: {leaked}")
        failures += 1
    print(f"awkward ids: {len(ids)} ids, hashes equal Python's hmac: {failures == 0}")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cie", required=True)
    parser.add_argument("--data", required=True, type=pathlib.Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        failed = check_cdnow(args.cie, args.data, work) + check_awkward_ids(args.cie, work)
    print("passed" if failed == 0 else f"{failed} failures")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
