#!/usr/bin/env python3
"""Writes fixtures/<client>/<fork>/<TYPE>.json: the request body each validator client's code
would POST to /api/v1/eth2/sign/{pubkey}, byte for byte (compact JSON, key order as the client
serializes it, no trailing newline). See CLIENTS.md for the source of every shape decision.

Data is made up but valid: real mainnet fork schedule and genesis_validators_root, a real BLS
key (py_ecc), real G2 signatures where a signature appears inside a message, and signingRoot
computed with the executable spec (eth-consensus-specs 1.7.0a13) for the clients that send it.
"""
import hashlib, json, os
from py_ecc.bls import G2ProofOfPossession as bls
import eth_consensus_specs.deneb.mainnet as deneb
import eth_consensus_specs.electra.mainnet as electra
import eth_consensus_specs.fulu.mainnet as fulu
from eth_consensus_specs.utils.ssz.ssz_typing import Container, Uint64 as uint64, Bytes20, Bytes48, Bytes4, Bytes32

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = {"deneb": deneb, "electra": electra, "fulu": fulu}
CFG = deneb.config
GVR = "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95"  # mainnet
GENESIS_TIME = 1606824023
V = {  # mainnet fork versions/epochs (checked against eth_consensus_specs mainnet config)
    "genesis": ("0x00000000", 0), "altair": ("0x01000000", 74240),
    "bellatrix": ("0x02000000", 144896), "capella": ("0x03000000", 194048),
    "deneb": ("0x04000000", 269568), "electra": ("0x05000000", 364032),
    "fulu": ("0x06000000", 411392),
}
assert str(fulu.config.CAPELLA_FORK_VERSION) == V["capella"][0]
assert int(fulu.config.DENEB_FORK_EPOCH) == V["deneb"][1]
assert int(fulu.config.ELECTRA_FORK_EPOCH) == V["electra"][1]
assert int(fulu.config.FULU_FORK_EPOCH) == V["fulu"][1]
PREV = {"deneb": "capella", "electra": "deneb", "fulu": "electra"}
EPOCH = {"deneb": 300000, "electra": 380000, "fulu": 420000}
SPE = 32

SK = int.from_bytes(hashlib.sha256(b"lsv client fixtures").digest(), "big") % 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001
PK = "0x" + bls.SkToPk(SK).hex()
VALIDATOR_INDEX = "123456"
FEE_RECIPIENT = "0x" + hashlib.sha256(b"fee recipient").digest()[:20].hex()


def h(label):
    return "0x" + hashlib.sha256(label.encode()).hexdigest()


def fork_obj(name):
    return {"previous_version": V[PREV[name]][0], "current_version": V[name][0], "epoch": str(V[name][1])}


def domain(spec, dtype, version, gvr=GVR):
    return spec.compute_domain(dtype, spec.Version(version), spec.Root(gvr))


def sign_root(root):
    return "0x" + bls.Sign(SK, bytes(root)).hex()


class ValidatorRegistrationV1(Container):  # builder-specs bellatrix/builder.md
    fee_recipient: Bytes20
    gas_limit: uint64
    timestamp: uint64
    pubkey: Bytes48


DOMAIN_APPLICATION_BUILDER = Bytes4("0x00000001")


def build(fork):
    """Per fork: the messages (as JSON-ready dicts in spec field order) and their roots."""
    spec = SPEC[fork]
    e = EPOCH[fork]
    slot = e * SPE + 10
    ver = V[fork][0]
    d = {"slot": str(slot), "epoch": str(e)}
    att = {
        "slot": str(slot),
        "index": "7" if fork == "deneb" else "0",
        "beacon_block_root": h(f"{fork} head"),
        "source": {"epoch": str(e - 1), "root": h(f"{fork} source")},
        "target": {"epoch": str(e), "root": h(f"{fork} target")},
    }
    att_ssz = spec.AttestationData(
        slot=slot, index=int(att["index"]), beacon_block_root=att["beacon_block_root"],
        source=spec.Checkpoint(epoch=e - 1, root=att["source"]["root"]),
        target=spec.Checkpoint(epoch=e, root=att["target"]["root"]))
    # aggregate: a committee of 500, most members present
    bits = [((i * 7) % 10) != 0 for i in range(500)]
    att_sig = sign_root(spec.compute_signing_root(att_ssz, domain(spec, spec.DOMAIN_BEACON_ATTESTER, ver)))
    sel_sig = sign_root(spec.compute_signing_root(spec.Slot(slot), domain(spec, spec.DOMAIN_SELECTION_PROOF, ver)))
    if fork == "deneb":
        agg_bits = spec.BitList[spec.MAX_VALIDATORS_PER_COMMITTEE](*bits)
        aggregate_ssz = spec.Attestation(aggregation_bits=agg_bits, data=att_ssz, signature=att_sig)
        aggregate = {"aggregation_bits": "0x" + agg_bits.encode_bytes().hex(), "data": att,
                     "signature": att_sig}
    else:
        agg_bits = spec.BitList[spec.MAX_VALIDATORS_PER_COMMITTEE * spec.MAX_COMMITTEES_PER_SLOT](*bits)
        cbits = spec.BitVector[spec.MAX_COMMITTEES_PER_SLOT](*[i == 7 for i in range(spec.MAX_COMMITTEES_PER_SLOT)])
        aggregate_ssz = spec.Attestation(aggregation_bits=agg_bits, data=att_ssz, signature=att_sig,
                                         committee_bits=cbits)
        aggregate = {"aggregation_bits": "0x" + agg_bits.encode_bytes().hex(), "data": att,
                     "signature": att_sig, "committee_bits": "0x" + cbits.encode_bytes().hex()}
    aap = {"aggregator_index": VALIDATOR_INDEX, "aggregate": aggregate, "selection_proof": sel_sig}
    aap_ssz = spec.AggregateAndProof(aggregator_index=int(VALIDATOR_INDEX), aggregate=aggregate_ssz,
                                     selection_proof=sel_sig)
    header = {"slot": str(slot), "proposer_index": VALIDATOR_INDEX, "parent_root": h(f"{fork} parent"),
              "state_root": h(f"{fork} state"), "body_root": h(f"{fork} body")}
    header_ssz = spec.BeaconBlockHeader(slot=slot, proposer_index=int(VALIDATOR_INDEX),
                                        parent_root=header["parent_root"], state_root=header["state_root"],
                                        body_root=header["body_root"])
    exit_ = {"epoch": str(e), "validator_index": VALIDATOR_INDEX}
    exit_ssz = spec.VoluntaryExit(epoch=e, validator_index=int(VALIDATOR_INDEX))
    sync_root = h(f"{fork} sync head")
    sel_data = {"slot": str(slot), "subcommittee_index": "2"}
    sel_data_ssz = spec.SyncAggregatorSelectionData(slot=slot, subcommittee_index=2)
    sync_sel_sig = sign_root(spec.compute_signing_root(
        sel_data_ssz, domain(spec, spec.DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF, ver)))
    cbits = spec.BitVector[spec.SYNC_COMMITTEE_SIZE // spec.SYNC_COMMITTEE_SUBNET_COUNT](
        *[(i % 5) != 3 for i in range(spec.SYNC_COMMITTEE_SIZE // spec.SYNC_COMMITTEE_SUBNET_COUNT)])
    contrib_sig = sign_root(spec.compute_signing_root(spec.Root(sync_root), domain(spec, spec.DOMAIN_SYNC_COMMITTEE, ver)))
    contribution = {"slot": str(slot), "beacon_block_root": sync_root, "subcommittee_index": "2",
                    "aggregation_bits": "0x" + cbits.encode_bytes().hex(), "signature": contrib_sig}
    cap = {"aggregator_index": VALIDATOR_INDEX, "contribution": contribution, "selection_proof": sync_sel_sig}
    cap_ssz = spec.ContributionAndProof(
        aggregator_index=int(VALIDATOR_INDEX),
        contribution=spec.SyncCommitteeContribution(slot=slot, beacon_block_root=sync_root, subcommittee_index=2,
                                                    aggregation_bits=cbits, signature=contrib_sig),
        selection_proof=sync_sel_sig)
    gas = {"deneb": 36000000, "electra": 45000000, "fulu": 60000000}[fork]
    ts = GENESIS_TIME + slot * 12
    reg = {"fee_recipient": FEE_RECIPIENT, "gas_limit": str(gas), "timestamp": str(ts), "pubkey": PK}
    reg_ssz = ValidatorRegistrationV1(fee_recipient=Bytes20(FEE_RECIPIENT), gas_limit=gas, timestamp=ts,
                                      pubkey=Bytes48(PK))

    def R(obj, dtype, version=ver, gvr=GVR):
        return "0x" + bytes(spec.compute_signing_root(obj, domain(spec, dtype, version, gvr))).hex()

    roots = {
        "BLOCK_V2": R(header_ssz, spec.DOMAIN_BEACON_PROPOSER),
        "ATTESTATION": R(att_ssz, spec.DOMAIN_BEACON_ATTESTER),
        "AGGREGATION_SLOT": R(spec.Slot(slot), spec.DOMAIN_SELECTION_PROOF),
        "AGGREGATE": R(aap_ssz, spec.DOMAIN_AGGREGATE_AND_PROOF),
        "RANDAO_REVEAL": R(spec.Epoch(e), spec.DOMAIN_RANDAO),
        "VOLUNTARY_EXIT": R(exit_ssz, spec.DOMAIN_VOLUNTARY_EXIT, V["capella"][0]),  # EIP-7044
        "SYNC_COMMITTEE_MESSAGE": R(spec.Root(sync_root), spec.DOMAIN_SYNC_COMMITTEE),
        "SYNC_COMMITTEE_SELECTION_PROOF": R(sel_data_ssz, spec.DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF),
        "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF": R(cap_ssz, spec.DOMAIN_CONTRIBUTION_AND_PROOF),
        "VALIDATOR_REGISTRATION": R(reg_ssz, DOMAIN_APPLICATION_BUILDER, V["genesis"][0], "0x" + "00" * 32),
    }
    return dict(fork=fork, spec=spec, slot=slot, epoch=e, ver=ver, att=att, aap=aap, header=header,
                exit=exit_, sync_root=sync_root, sel_data=sel_data, cap=cap, reg=reg, roots=roots)


def fi(fork_dict):
    return {"fork": fork_dict, "genesis_validators_root": GVR}


def standard_fork(fork):
    return fork_obj(fork)


# ---------------------------------------------------------------- per-client serializers
# Each returns {TYPE: ordered dict}. Comments cite the client source (see CLIENTS.md).

def lighthouse(m):
    # signing_method/src/web3signer.rs SigningRequest: type, fork_info (skip if None), signingRoot,
    # then the flattened Web3SignerObject variant. Always AGGREGATE_AND_PROOF (V1), body untagged.
    f = m["fork"]; up = f.upper(); r = m["roots"]
    fk = fi(standard_fork(f))
    exit_fk = fi({"previous_version": V["capella"][0], "current_version": V["capella"][0],
                  "epoch": str(m["epoch"])})  # lighthouse_validator_store signing_context EIP-7044
    def req(t, fork_info, root, key, body):
        o = {"type": t}
        if fork_info is not None:
            o["fork_info"] = fork_info
        o["signingRoot"] = root
        o[key] = body
        return o
    return {
        "BLOCK_V2": req("BLOCK_V2", fk, r["BLOCK_V2"], "beacon_block", {"version": up, "block_header": m["header"]}),
        "ATTESTATION": req("ATTESTATION", fk, r["ATTESTATION"], "attestation", m["att"]),
        "AGGREGATION_SLOT": req("AGGREGATION_SLOT", fk, r["AGGREGATION_SLOT"], "aggregation_slot", {"slot": str(m["slot"])}),
        "AGGREGATE_AND_PROOF": req("AGGREGATE_AND_PROOF", fk, r["AGGREGATE"], "aggregate_and_proof", m["aap"]),
        "RANDAO_REVEAL": req("RANDAO_REVEAL", fk, r["RANDAO_REVEAL"], "randao_reveal", {"epoch": str(m["epoch"])}),
        "VOLUNTARY_EXIT": req("VOLUNTARY_EXIT", exit_fk, r["VOLUNTARY_EXIT"], "voluntary_exit", m["exit"]),
        "SYNC_COMMITTEE_MESSAGE": req("SYNC_COMMITTEE_MESSAGE", fk, r["SYNC_COMMITTEE_MESSAGE"], "sync_committee_message",
                                      {"beacon_block_root": m["sync_root"], "slot": str(m["slot"])}),
        "SYNC_COMMITTEE_SELECTION_PROOF": req("SYNC_COMMITTEE_SELECTION_PROOF", fk, r["SYNC_COMMITTEE_SELECTION_PROOF"],
                                              "sync_aggregator_selection_data", m["sel_data"]),
        "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF": req("SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF", fk,
                                                     r["SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF"], "contribution_and_proof", m["cap"]),
        "VALIDATOR_REGISTRATION": req("VALIDATOR_REGISTRATION", None, r["VALIDATOR_REGISTRATION"], "validator_registration", m["reg"]),
    }


TEKU_ORDER = ["voluntary_exit", "aggregation_slot", "fork_info", "attestation", "sync_committee_message",
              "sync_aggregator_selection_data", "beacon_block", "validator_registration",
              "contribution_and_proof", "aggregate_and_proof", "block", "randao_reveal"]


def teku(m):
    # SigningRequestBody.getJsonTypeDefinition: signingRoot, type, then optional fields in the
    # order of TEKU_ORDER. Always AGGREGATE_AND_PROOF (V1) with the milestone's schema.
    f = m["fork"]; up = f.upper(); r = m["roots"]
    fk = fi(standard_fork(f))  # VoluntaryExitDataProvider: fork at max(epoch, currentEpoch)
    def req(t, root, fields):
        o = {"signingRoot": root, "type": t}
        for k in TEKU_ORDER:
            if k in fields:
                o[k] = fields[k]
        return o
    return {
        "BLOCK_V2": req("BLOCK_V2", r["BLOCK_V2"], {"fork_info": fk, "beacon_block": {"version": up, "block_header": m["header"]}}),
        "ATTESTATION": req("ATTESTATION", r["ATTESTATION"], {"fork_info": fk, "attestation": m["att"]}),
        "AGGREGATION_SLOT": req("AGGREGATION_SLOT", r["AGGREGATION_SLOT"], {"fork_info": fk, "aggregation_slot": {"slot": str(m["slot"])}}),
        "AGGREGATE_AND_PROOF": req("AGGREGATE_AND_PROOF", r["AGGREGATE"], {"fork_info": fk, "aggregate_and_proof": m["aap"]}),
        "RANDAO_REVEAL": req("RANDAO_REVEAL", r["RANDAO_REVEAL"], {"fork_info": fk, "randao_reveal": {"epoch": str(m["epoch"])}}),
        "VOLUNTARY_EXIT": req("VOLUNTARY_EXIT", r["VOLUNTARY_EXIT"], {"fork_info": fk, "voluntary_exit": m["exit"]}),
        "SYNC_COMMITTEE_MESSAGE": req("SYNC_COMMITTEE_MESSAGE", r["SYNC_COMMITTEE_MESSAGE"], {
            "fork_info": fk, "sync_committee_message": {"slot": str(m["slot"]), "beacon_block_root": m["sync_root"]}}),
        "SYNC_COMMITTEE_SELECTION_PROOF": req("SYNC_COMMITTEE_SELECTION_PROOF", r["SYNC_COMMITTEE_SELECTION_PROOF"], {
            "fork_info": fk, "sync_aggregator_selection_data": m["sel_data"]}),
        "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF": req("SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF", r["SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF"], {
            "fork_info": fk, "contribution_and_proof": m["cap"]}),
        "VALIDATOR_REGISTRATION": req("VALIDATOR_REGISTRATION", r["VALIDATOR_REGISTRATION"], {"validator_registration": m["reg"]}),
    }


def lodestar(m):
    # externalSignerClient.ts externalSignerPostSignature: payload key first, then type,
    # signingRoot, fork_info (if requiresForkInfo). fork.epoch is the *signing* epoch, except
    # VOLUNTARY_EXIT post-Deneb which carries the Capella fork (getForkInfoForSigning).
    f = m["fork"]; up = f.upper(); r = m["roots"]; e = m["epoch"]
    def fk_at(epoch):
        return fi({"previous_version": V[PREV[f]][0], "current_version": V[f][0], "epoch": str(epoch)})
    exit_fk = fi({"previous_version": V["bellatrix"][0], "current_version": V["capella"][0],
                  "epoch": str(V["capella"][1])})
    def req(key, body, t, root, fork_info):
        o = {key: body, "type": t, "signingRoot": root}
        if fork_info is not None:
            o["fork_info"] = fork_info
        return o
    if f == "deneb":
        agg = req("aggregate_and_proof", m["aap"], "AGGREGATE_AND_PROOF", r["AGGREGATE"], fk_at(e))
        agg_type = "AGGREGATE_AND_PROOF"
    else:
        agg = req("aggregate_and_proof", {"version": up, "data": m["aap"]}, "AGGREGATE_AND_PROOF_V2", r["AGGREGATE"], fk_at(e))
        agg_type = "AGGREGATE_AND_PROOF_V2"
    return {
        "BLOCK_V2": req("beacon_block", {"version": up, "block_header": m["header"]}, "BLOCK_V2", r["BLOCK_V2"], fk_at(e)),
        "ATTESTATION": req("attestation", m["att"], "ATTESTATION", r["ATTESTATION"], fk_at(int(m["att"]["target"]["epoch"]))),
        "AGGREGATION_SLOT": req("aggregation_slot", {"slot": str(m["slot"])}, "AGGREGATION_SLOT", r["AGGREGATION_SLOT"], fk_at(e)),
        agg_type: agg,
        "RANDAO_REVEAL": req("randao_reveal", {"epoch": str(e)}, "RANDAO_REVEAL", r["RANDAO_REVEAL"], fk_at(e)),
        "VOLUNTARY_EXIT": req("voluntary_exit", m["exit"], "VOLUNTARY_EXIT", r["VOLUNTARY_EXIT"], exit_fk),
        "SYNC_COMMITTEE_MESSAGE": req("sync_committee_message", {"beacon_block_root": m["sync_root"], "slot": str(m["slot"])},
                                      "SYNC_COMMITTEE_MESSAGE", r["SYNC_COMMITTEE_MESSAGE"], fk_at(e)),
        "SYNC_COMMITTEE_SELECTION_PROOF": req("sync_aggregator_selection_data", m["sel_data"], "SYNC_COMMITTEE_SELECTION_PROOF",
                                              r["SYNC_COMMITTEE_SELECTION_PROOF"], fk_at(e)),
        "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF": req("contribution_and_proof", m["cap"], "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF",
                                                     r["SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF"], fk_at(e)),
        "VALIDATOR_REGISTRATION": req("validator_registration", m["reg"], "VALIDATOR_REGISTRATION", r["VALIDATOR_REGISTRATION"], None),
    }


def nimbus(m):
    # eth2_rest_json_serialization.nim writeValue(Web3SignerRequest): type, fork_info (Opt,
    # omitted when none), signingRoot (Opt; validator_pool never sets it -> omitted), payload.
    # AGGREGATE_AND_PROOF_V2 version = ConsensusFork.toString of electra.AggregateAndProof's
    # kind = "electra" (lowercase, also at Fulu).
    f = m["fork"]; up = f.upper()
    fk = fi(standard_fork(f))
    exit_fk = fi({"previous_version": V["capella"][0], "current_version": V["capella"][0], "epoch": "0"})
    def req(t, fork_info, key, body):
        o = {"type": t}
        if fork_info is not None:
            o["fork_info"] = fork_info
        o[key] = body
        return o
    if f == "deneb":
        agg_type, agg = "AGGREGATE_AND_PROOF", req("AGGREGATE_AND_PROOF", fk, "aggregate_and_proof", m["aap"])
    else:
        agg_type = "AGGREGATE_AND_PROOF_V2"
        agg = req(agg_type, fk, "aggregate_and_proof", {"version": "electra", "data": m["aap"]})
    return {
        "BLOCK_V2": req("BLOCK_V2", fk, "beacon_block", {"version": up, "block_header": m["header"]}),
        "ATTESTATION": req("ATTESTATION", fk, "attestation", m["att"]),
        "AGGREGATION_SLOT": req("AGGREGATION_SLOT", fk, "aggregation_slot", {"slot": str(m["slot"])}),
        agg_type: agg,
        "RANDAO_REVEAL": req("RANDAO_REVEAL", fk, "randao_reveal", {"epoch": str(m["epoch"])}),
        "VOLUNTARY_EXIT": req("VOLUNTARY_EXIT", exit_fk, "voluntary_exit", m["exit"]),
        "SYNC_COMMITTEE_MESSAGE": req("SYNC_COMMITTEE_MESSAGE", fk, "sync_committee_message",
                                      {"beacon_block_root": m["sync_root"], "slot": str(m["slot"])}),
        "SYNC_COMMITTEE_SELECTION_PROOF": req("SYNC_COMMITTEE_SELECTION_PROOF", fk, "sync_aggregator_selection_data", m["sel_data"]),
        "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF": req("SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF", fk, "contribution_and_proof", m["cap"]),
        "VALIDATOR_REGISTRATION": req("VALIDATOR_REGISTRATION", None, "validator_registration", m["reg"]),
    }


def prysm(m):
    # remote-web3signer/types/web3signer_types.go struct order: type, fork_info, signingRoot,
    # payload. Aggregates always AGGREGATE_AND_PROOF_V2 with strings.ToUpper(version.String(v)).
    # ContributionAndProof struct puts selection_proof before contribution.
    f = m["fork"]; up = f.upper(); r = m["roots"]
    fk = fi(standard_fork(f))  # MapForkInfo(SigningSlot): fork at the slot's epoch
    def req(t, fork_info, root, key, body):
        o = {"type": t}
        if fork_info is not None:
            o["fork_info"] = fork_info
        o["signingRoot"] = root
        o[key] = body
        return o
    cap = m["cap"]
    cap_prysm = {"aggregator_index": cap["aggregator_index"], "selection_proof": cap["selection_proof"],
                 "contribution": cap["contribution"]}
    return {
        "BLOCK_V2": req("BLOCK_V2", fk, r["BLOCK_V2"], "beacon_block", {"version": up, "block_header": m["header"]}),
        "ATTESTATION": req("ATTESTATION", fk, r["ATTESTATION"], "attestation", m["att"]),
        "AGGREGATION_SLOT": req("AGGREGATION_SLOT", fk, r["AGGREGATION_SLOT"], "aggregation_slot", {"slot": str(m["slot"])}),
        "AGGREGATE_AND_PROOF_V2": req("AGGREGATE_AND_PROOF_V2", fk, r["AGGREGATE"], "aggregate_and_proof",
                                      {"version": up, "data": m["aap"]}),
        "RANDAO_REVEAL": req("RANDAO_REVEAL", fk, r["RANDAO_REVEAL"], "randao_reveal", {"epoch": str(m["epoch"])}),
        "VOLUNTARY_EXIT": req("VOLUNTARY_EXIT", fk, r["VOLUNTARY_EXIT"], "voluntary_exit", m["exit"]),
        "SYNC_COMMITTEE_MESSAGE": req("SYNC_COMMITTEE_MESSAGE", fk, r["SYNC_COMMITTEE_MESSAGE"], "sync_committee_message",
                                      {"beacon_block_root": m["sync_root"], "slot": str(m["slot"])}),
        "SYNC_COMMITTEE_SELECTION_PROOF": req("SYNC_COMMITTEE_SELECTION_PROOF", fk, r["SYNC_COMMITTEE_SELECTION_PROOF"],
                                              "sync_aggregator_selection_data", m["sel_data"]),
        "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF": req("SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF", fk,
                                                     r["SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF"], "contribution_and_proof", cap_prysm),
        "VALIDATOR_REGISTRATION": req("VALIDATOR_REGISTRATION", None, r["VALIDATOR_REGISTRATION"], "validator_registration", m["reg"]),
    }


CLIENTS = {"lighthouse": lighthouse, "teku": teku, "lodestar": lodestar, "nimbus": nimbus, "prysm": prysm}


def main():
    n = 0
    for fork in ["deneb", "electra", "fulu"]:
        m = build(fork)
        for client, fn in CLIENTS.items():
            d = os.path.join(HERE, "fixtures", client, fork)
            os.makedirs(d, exist_ok=True)
            for t, body in fn(m).items():
                with open(os.path.join(d, t + ".json"), "w") as fh:
                    fh.write(json.dumps(body, separators=(",", ":")))
                n += 1
    meta = {"pubkey": PK, "secret_key": "0x" + SK.to_bytes(32, "big").hex(),
            "validator_index": VALIDATOR_INDEX, "genesis_validators_root": GVR,
            "note": "secret key = sha256('lsv client fixtures') mod the BLS12-381 group order (test only)"}
    with open(os.path.join(HERE, "fixtures", "KEY.json"), "w") as fh:
        json.dump(meta, fh, indent=2)
    print("wrote", n, "fixtures; pubkey", PK)


if __name__ == "__main__":
    main()
