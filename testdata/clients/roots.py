#!/usr/bin/env python3
"""Reads every fixtures/<client>/<fork>/<TYPE>.json, rebuilds the signed object from the JSON
with the executable consensus spec (eth-consensus-specs 1.7.0a13, mainnet preset/config), and
writes expected_roots.json: fixture path -> {type, fork, signing_root_hex, domain_type,
fork_version, ...}. Where the fixture carries `signingRoot` it must equal the computed root.

Domain per the specs: the fork version in force at the message's epoch with the mainnet
genesis_validators_root (phase0 get_domain / compute_domain), except
  VOLUNTARY_EXIT          CAPELLA_FORK_VERSION from Deneb on (EIP-7044, deneb beacon-chain.md)
  VALIDATOR_REGISTRATION  DOMAIN_APPLICATION_BUILDER, GENESIS_FORK_VERSION, zero root (builder-specs)
  DEPOSIT                 DOMAIN_DEPOSIT, genesis fork version, zero root (no client sends one)
Epochs: block/aggregation slot/sync messages/contribution -> epoch of slot; attestation -> target
epoch; aggregate -> epoch of aggregate.data.slot; randao -> the epoch; exit -> exit epoch.

Usage: python roots.py   (from anywhere; paths are relative to this file's folder)
"""
import glob, json, os, sys
import eth_consensus_specs.deneb.mainnet as deneb
import eth_consensus_specs.electra.mainnet as electra
import eth_consensus_specs.fulu.mainnet as fulu
from eth_consensus_specs.utils.ssz.ssz_typing import Container as SszContainer, Uint64, Bytes20, Bytes48, Bytes4
from remerkleable.complex import Container
from remerkleable.basic import uint
from remerkleable.bitfields import Bitlist, Bitvector
from remerkleable.byte_arrays import ByteVector

HERE = os.path.dirname(os.path.abspath(__file__))
MAINNET_GVR = "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95"
ZERO_ROOT = "0x" + "00" * 32
SPECS = {"deneb": deneb, "electra": electra, "fulu": fulu}
CFG = fulu.config
FORK_ORDER = ["phase0", "altair", "bellatrix", "capella", "deneb", "electra", "fulu"]


class ValidatorRegistrationV1(SszContainer):  # builder-specs specs/bellatrix/builder.md
    fee_recipient: Bytes20
    gas_limit: Uint64
    timestamp: Uint64
    pubkey: Bytes48


DOMAIN_APPLICATION_BUILDER = Bytes4("0x00000001")


def fork_at(epoch):
    name = "phase0"
    for f, ep in [("altair", CFG.ALTAIR_FORK_EPOCH), ("bellatrix", CFG.BELLATRIX_FORK_EPOCH),
                  ("capella", CFG.CAPELLA_FORK_EPOCH), ("deneb", CFG.DENEB_FORK_EPOCH),
                  ("electra", CFG.ELECTRA_FORK_EPOCH), ("fulu", CFG.FULU_FORK_EPOCH)]:
        if epoch >= int(ep):
            name = f
    return name


class Strict:
    """Collects encoding observations a strict parser cares about."""
    def __init__(self):
        self.notes = set()

    def u64(self, v, where):
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            raise ValueError(f"{where}: not an integer: {v!r}")
        if isinstance(v, int):
            self.notes.add("uint64 as JSON number")
            return v
        if not v.isdigit():
            raise ValueError(f"{where}: not a decimal string: {v!r}")
        return int(v)

    def hexbytes(self, v, where):
        if not (isinstance(v, str) and v.startswith("0x")):
            raise ValueError(f"{where}: not 0x-hex: {v!r}")
        if v[2:] != v[2:].lower():
            self.notes.add("uppercase hex")
        return bytes.fromhex(v[2:])


def from_json(typ, v, st, where="", allow_extra=False):
    if issubclass(typ, Container):
        if not isinstance(v, dict):
            raise ValueError(f"{where}: expected object")
        fields = typ.fields()
        extra = set(v) - set(fields)
        if extra and not allow_extra:
            raise ValueError(f"{where}: unexpected keys {sorted(extra)}")
        missing = set(fields) - set(v)
        if missing:
            raise ValueError(f"{where}: missing keys {sorted(missing)}")
        return typ(**{k: from_json(ft, v[k], st, f"{where}.{k}", allow_extra) for k, ft in fields.items()})
    if issubclass(typ, uint):
        return typ(st.u64(v, where))
    if issubclass(typ, (Bitlist, Bitvector)):
        return typ.decode_bytes(st.hexbytes(v, where))
    if issubclass(typ, ByteVector):
        b = st.hexbytes(v, where)
        if len(b) != typ.type_byte_length():
            raise ValueError(f"{where}: {len(b)} bytes, want {typ.type_byte_length()}")
        return typ(b)
    raise TypeError(f"{where}: unsupported type {typ}")


PAYLOAD_KEY = {
    "BLOCK_V2": "beacon_block", "ATTESTATION": "attestation", "AGGREGATION_SLOT": "aggregation_slot",
    "AGGREGATE_AND_PROOF": "aggregate_and_proof", "AGGREGATE_AND_PROOF_V2": "aggregate_and_proof",
    "RANDAO_REVEAL": "randao_reveal", "VOLUNTARY_EXIT": "voluntary_exit",
    "SYNC_COMMITTEE_MESSAGE": "sync_committee_message",
    "SYNC_COMMITTEE_SELECTION_PROOF": "sync_aggregator_selection_data",
    "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF": "contribution_and_proof",
    "VALIDATOR_REGISTRATION": "validator_registration", "DEPOSIT": "deposit",
}


def hx(b):
    return "0x" + bytes(b).hex()


def evaluate(body, dir_fork):
    st = Strict()
    t = body["type"]
    payload = body[PAYLOAD_KEY[t]]
    spec = SPECS[dir_fork]  # container definitions; cross-checked against the message epoch below
    out = {"type": t}
    extra_roots = {}

    def std(obj, dtype, epoch, object_spec=None):
        f = fork_at(epoch)
        s = SPECS.get(f, fulu)
        version = s.compute_fork_version(s.Epoch(epoch))
        dom = s.compute_domain(dtype, version, s.Root(MAINNET_GVR))
        return f, version, dtype, s.compute_signing_root(obj, dom)

    if t == "BLOCK_V2":
        if "block_header" not in payload:
            raise ValueError("BLOCK_V2 without block_header (full block) at a post-Bellatrix fork")
        out["block_version_string"] = payload["version"]
        hdr = from_json(spec.BeaconBlockHeader, payload["block_header"], st, "beacon_block.block_header")
        f, ver, dt, root = std(hdr, spec.DOMAIN_BEACON_PROPOSER, int(hdr.slot) // spec.SLOTS_PER_EPOCH)
    elif t == "ATTESTATION":
        d = from_json(spec.AttestationData, payload, st, "attestation")
        f, ver, dt, root = std(d, spec.DOMAIN_BEACON_ATTESTER, int(d.target.epoch))
    elif t == "AGGREGATION_SLOT":
        slot = st.u64(payload["slot"], "aggregation_slot.slot")
        f, ver, dt, root = std(spec.Slot(slot), spec.DOMAIN_SELECTION_PROOF, slot // spec.SLOTS_PER_EPOCH)
    elif t in ("AGGREGATE_AND_PROOF", "AGGREGATE_AND_PROOF_V2"):
        if t == "AGGREGATE_AND_PROOF_V2":
            out["aggregate_version_string"] = payload["version"]
            data = payload["data"]
            declared = payload["version"].lower()
        else:
            data = payload
            declared = None
        slot = st.u64(data["aggregate"]["data"]["slot"], "aggregate.data.slot")
        epoch = slot // spec.SLOTS_PER_EPOCH
        actual = fork_at(epoch)
        shape = "electra" if FORK_ORDER.index(actual) >= FORK_ORDER.index("electra") else "phase0"
        out["aggregate_shape"] = shape
        if declared is not None and declared != actual:
            out["aggregate_version_mismatch"] = f"version says {declared!r}, slot is in {actual}"
        s = SPECS[actual]
        a = from_json(s.AggregateAndProof, data, st, "aggregate_and_proof")
        f, ver, dt, root = std(a, s.DOMAIN_AGGREGATE_AND_PROOF, epoch)
        if shape == "electra" and t == "AGGREGATE_AND_PROOF":
            # What a parser that reads V1 as the phase0 container (ignoring committee_bits) signs.
            p0 = from_json(deneb.AggregateAndProof, data, Strict(), "aggregate_and_proof", allow_extra=True)
            _, _, _, r0 = std(p0, deneb.DOMAIN_AGGREGATE_AND_PROOF, epoch)
            extra_roots["phase0_shape_root_hex"] = hx(r0)
            out["note"] = "V1 type with Electra body: only the Electra container gives the right root"
    elif t == "RANDAO_REVEAL":
        e = st.u64(payload["epoch"], "randao_reveal.epoch")
        f, ver, dt, root = std(spec.Epoch(e), spec.DOMAIN_RANDAO, e)
    elif t == "VOLUNTARY_EXIT":
        ex = from_json(spec.VoluntaryExit, payload, st, "voluntary_exit")
        e = int(ex.epoch)
        f = fork_at(e)
        if FORK_ORDER.index(f) >= FORK_ORDER.index("deneb"):
            ver = CFG.CAPELLA_FORK_VERSION  # EIP-7044
        else:
            ver = SPECS["deneb"].compute_fork_version(e)
        dt = spec.DOMAIN_VOLUNTARY_EXIT
        root = spec.compute_signing_root(ex, spec.compute_domain(dt, ver, spec.Root(MAINNET_GVR)))
    elif t == "SYNC_COMMITTEE_MESSAGE":
        slot = st.u64(payload["slot"], "sync_committee_message.slot")
        r = from_json(spec.Root, payload["beacon_block_root"], st, "sync_committee_message.beacon_block_root")
        f, ver, dt, root = std(r, spec.DOMAIN_SYNC_COMMITTEE, slot // spec.SLOTS_PER_EPOCH)
    elif t == "SYNC_COMMITTEE_SELECTION_PROOF":
        d = from_json(spec.SyncAggregatorSelectionData, payload, st, "sync_aggregator_selection_data")
        f, ver, dt, root = std(d, spec.DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF, int(d.slot) // spec.SLOTS_PER_EPOCH)
    elif t == "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF":
        c = from_json(spec.ContributionAndProof, payload, st, "contribution_and_proof")
        f, ver, dt, root = std(c, spec.DOMAIN_CONTRIBUTION_AND_PROOF, int(c.contribution.slot) // spec.SLOTS_PER_EPOCH)
    elif t == "VALIDATOR_REGISTRATION":
        reg = from_json(ValidatorRegistrationV1, payload, st, "validator_registration")
        f = "any"
        ver = CFG.GENESIS_FORK_VERSION
        dt = DOMAIN_APPLICATION_BUILDER
        root = spec.compute_signing_root(reg, spec.compute_domain(dt, ver, spec.Root(ZERO_ROOT)))
    elif t == "DEPOSIT":
        msg = spec.DepositMessage(pubkey=payload["pubkey"], withdrawal_credentials=payload["withdrawal_credentials"],
                                  amount=st.u64(payload["amount"], "deposit.amount"))
        f = "any"
        ver = spec.Version(payload["genesis_fork_version"])
        dt = spec.DOMAIN_DEPOSIT
        root = spec.compute_signing_root(msg, spec.compute_domain(dt, ver, spec.Root(ZERO_ROOT)))
    else:
        raise ValueError(f"unknown type {t}")

    if f not in ("any", dir_fork):
        raise ValueError(f"message epoch is in {f}, fixture is filed under {dir_fork}")
    out.update({
        "fork": dir_fork,
        "signing_root_hex": hx(root),
        "domain_type": hx(dt),
        "fork_version": hx(ver),
        "has_fork_info": "fork_info" in body,
        "has_signingRoot": "signingRoot" in body,
    })
    if "fork_info" in body:
        fi = body["fork_info"]
        out["fork_info_fork"] = fi["fork"]
        if fi["genesis_validators_root"] != MAINNET_GVR:
            raise ValueError("fork_info.genesis_validators_root is not mainnet's")
    out.update(extra_roots)
    if st.notes:
        out["encoding_notes"] = sorted(st.notes)
    if "signingRoot" in body:
        sent = body["signingRoot"]
        if sent.lower() != out["signing_root_hex"]:
            raise AssertionError(f"signingRoot {sent} != computed {out['signing_root_hex']}")
    return out


def main():
    results, failures = {}, []
    for path in sorted(glob.glob(os.path.join(HERE, "fixtures", "*", "*", "*.json"))):
        rel = os.path.relpath(path, HERE)
        _, client, fork, fname = rel.split(os.sep)
        with open(path) as fh:
            body = json.load(fh)
        try:
            r = evaluate(body, fork)
            if fname[:-5] != r["type"]:
                raise ValueError(f"file named {fname} holds type {r['type']}")
            r["client"] = client
            results[rel] = r
        except Exception as e:  # report every failure, then exit non-zero
            failures.append(f"{rel}: {type(e).__name__}: {e}")
    with open(os.path.join(HERE, "expected_roots.json"), "w") as fh:
        json.dump(results, fh, indent=2, sort_keys=True)
        fh.write("\n")
    print(f"{len(results)} fixtures, {len(failures)} failures")
    for f in failures:
        print("FAIL", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
