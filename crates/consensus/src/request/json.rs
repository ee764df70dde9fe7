//! Parsing of request bodies (`signing/schemas.yaml`, `signing/paths/sign.yaml`).
//!
//! Two passes over the bytes: the first reads only `type` (and rejects anything that is not one
//! JSON object), the second reads the body of that type. Both go straight from the bytes, so a
//! duplicated known key is an error rather than "last one wins". Unknown keys are ignored, since
//! validator clients send extras, but every struct must be a JSON object ([`StrictDe`]). Errors
//! name the field as a path.

use super::strict::StrictDe;
use super::{AnyAggregateAndProof, AnyContributionAndProof, ForkInfo, SignRequest};
use super::{RequestError, SignableMessage};
use crate::containers::altair::{self, ContributionAndProof, SyncAggregatorSelectionData};
use crate::containers::{gloas, phase0, AttestationData, BeaconBlockHeader, DepositMessage};
use crate::containers::{ValidatorRegistration, VoluntaryExit};
use crate::network::ForkName;
use crate::preset::{Mainnet, Minimal, Preset, PresetName};
use crate::primitives::{Epoch, Gwei, PublicKeyBytes, Slot, Version};
use alloy_primitives::B256;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use std::borrow::Cow;

pub(super) fn parse(body: &[u8], preset: PresetName) -> Result<SignRequest, RequestError> {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(rename = "type", borrow)]
        kind: Cow<'a, str>,
    }
    let envelope: Envelope = from_slice(body)?;

    macro_rules! body {
        ($field:literal, $ty:ty) => {{
            #[derive(Deserialize)]
            struct Body {
                #[serde(default)]
                fork_info: Option<ForkInfo>,
                #[serde(
                    rename = "signingRoot",
                    default,
                    with = "crate::primitives::hex_root::option"
                )]
                signing_root: Option<B256>,
                #[serde(rename = $field)]
                payload: $ty,
            }
            let b: Body = from_slice(body)?;
            (b.fork_info, b.signing_root, b.payload)
        }};
    }

    use SignableMessage as M;
    let (fork_info, signing_root, message) = match &*envelope.kind {
        "AGGREGATION_SLOT" => {
            #[derive(Deserialize)]
            struct AggregationSlot {
                slot: Slot,
            }
            let (f, r, p) = body!("aggregation_slot", AggregationSlot);
            (f, r, M::AggregationSlot { slot: p.slot })
        }
        "AGGREGATE_AND_PROOF" | "AGGREGATE_AND_PROOF_V2" => {
            // The container is read from the body, whatever the type name: Lighthouse and Teku
            // send the V1 name with the Electra container from Electra on. Whether it is the
            // container of the fork at the aggregate's slot (and whether a V2 `version` agrees
            // with that fork) needs the network: `SignRequest::signing_root` decides.
            let v2 = envelope.kind == "AGGREGATE_AND_PROOF_V2";
            let electra = carries_committee_bits(body, v2);
            let (f, r, version, aggregate_and_proof) = match (electra, preset) {
                (false, _) => aggregate(body, v2, AnyAggregateAndProof::Phase0)?,
                (true, PresetName::Mainnet) => aggregate(body, v2, AnyAggregateAndProof::Electra)?,
                (true, PresetName::Minimal) => {
                    aggregate(body, v2, AnyAggregateAndProof::ElectraMinimal)?
                }
            };
            let message = match version {
                Some(version) => M::AggregateAndProofV2 {
                    version,
                    aggregate_and_proof,
                },
                None => M::AggregateAndProof(aggregate_and_proof),
            };
            (f, r, message)
        }
        "ATTESTATION" => {
            let (f, r, p) = body!("attestation", AttestationData);
            (f, r, M::Attestation(p))
        }
        "BLOCK" => {
            let (f, r, p) = body!("block", phase0::BeaconBlock);
            let message = M::Block {
                version: ForkName::Phase0,
                header: p.header(),
            };
            (f, r, message)
        }
        "BLOCK_V2" => {
            let (f, r, p) = body!("beacon_block", VersionedBlock);
            // A name P does not know is a fork later than its build (DESIGN.md, "P across
            // forks it does not know"): its block comes as a header, as every fork's since
            // BELLATRIX, and is signed as one if `fork_info` shows such a fork in force.
            let version = match ForkName::from_upper(&p.version) {
                Some(known) => known,
                None if is_fork_name(&p.version) && p.block_header.is_some() => {
                    *ForkName::ALL.last().expect("forks are known")
                }
                None => {
                    return Err(RequestError::Malformed(format!(
                        "beacon_block.version: unknown fork version name {:?} (a fork later \
                         than GLOAS is named in upper-case letters and digits and sends a \
                         block_header)",
                        p.version
                    )))
                }
            };
            let header = match version {
                ForkName::Phase0 => {
                    let block = p.block.ok_or_else(|| missing("beacon_block", "block"))?;
                    from_value::<phase0::BeaconBlock>(block, "beacon_block.block")?.header()
                }
                ForkName::Altair => {
                    let block = p.block.ok_or_else(|| missing("beacon_block", "block"))?;
                    altair_header(block, preset)?
                }
                _ => {
                    let header = p
                        .block_header
                        .ok_or_else(|| missing("beacon_block", "block_header"))?;
                    from_value::<BeaconBlockHeader>(header, "beacon_block.block_header")?
                }
            };
            (f, r, M::Block { version, header })
        }
        "DEPOSIT" => {
            #[derive(Deserialize)]
            struct Deposit {
                pubkey: PublicKeyBytes,
                #[serde(with = "crate::primitives::hex_root")]
                withdrawal_credentials: B256,
                amount: Gwei,
                genesis_fork_version: Version,
            }
            let (f, r, p) = body!("deposit", Deposit);
            let message = M::Deposit {
                message: DepositMessage {
                    pubkey: p.pubkey,
                    withdrawal_credentials: p.withdrawal_credentials,
                    amount: p.amount,
                },
                genesis_fork_version: p.genesis_fork_version,
            };
            (f, r, message)
        }
        "RANDAO_REVEAL" => {
            #[derive(Deserialize)]
            struct RandaoReveal {
                epoch: Epoch,
            }
            let (f, r, p) = body!("randao_reveal", RandaoReveal);
            (f, r, M::RandaoReveal { epoch: p.epoch })
        }
        "VOLUNTARY_EXIT" => {
            let (f, r, p) = body!("voluntary_exit", VoluntaryExit);
            (f, r, M::VoluntaryExit(p))
        }
        "SYNC_COMMITTEE_MESSAGE" => {
            #[derive(Deserialize)]
            struct SyncCommitteeMessage {
                #[serde(with = "crate::primitives::hex_root")]
                beacon_block_root: B256,
                slot: Slot,
            }
            let (f, r, p) = body!("sync_committee_message", SyncCommitteeMessage);
            let message = M::SyncCommitteeMessage {
                slot: p.slot,
                beacon_block_root: p.beacon_block_root,
            };
            (f, r, message)
        }
        "SYNC_COMMITTEE_SELECTION_PROOF" => {
            let (f, r, p) = body!(
                "sync_aggregator_selection_data",
                SyncAggregatorSelectionData
            );
            (f, r, M::SyncCommitteeSelectionProof(p))
        }
        "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF" => match preset {
            PresetName::Mainnet => {
                let (f, r, p) = body!("contribution_and_proof", ContributionAndProof<Mainnet>);
                let c = AnyContributionAndProof::Mainnet(p);
                (f, r, M::SyncCommitteeContributionAndProof(c))
            }
            PresetName::Minimal => {
                let (f, r, p) = body!("contribution_and_proof", ContributionAndProof<Minimal>);
                let c = AnyContributionAndProof::Minimal(p);
                (f, r, M::SyncCommitteeContributionAndProof(c))
            }
        },
        // The Gloas types, in the `{version, data}` wrapping remote-signing-api v1.4.0 gives
        // them (its PR #28; Web3Signer PR #1192), `version` checked against the pinned fork.
        "PAYLOAD_ATTESTATION_MESSAGE" => {
            let (f, r, p) = body!(
                "payload_attestation_message",
                Versioned<gloas::PayloadAttestationData>
            );
            let message = M::PayloadAttestation {
                version: p.version.0,
                data: p.data,
            };
            (f, r, message)
        }
        "EXECUTION_PAYLOAD_ENVELOPE" => {
            let (f, r, p) = body!(
                "execution_payload_envelope",
                Versioned<gloas::ExecutionPayloadEnvelope>
            );
            let message = M::ExecutionPayloadEnvelope {
                version: p.version.0,
                envelope: Box::new(p.data),
            };
            (f, r, message)
        }
        "PROPOSER_PREFERENCES" => {
            let (f, r, p) = body!(
                "proposer_preferences",
                Versioned<gloas::ProposerPreferences>
            );
            let message = M::ProposerPreferences {
                version: p.version.0,
                preferences: p.data,
            };
            (f, r, message)
        }
        "BUILDER_REQUEST_AUTH" => {
            let (f, r, p) = body!("builder_request_auth", Versioned<gloas::BuilderRequestAuth>);
            let message = M::BuilderRequestAuth {
                version: p.version.0,
                auth: p.data,
            };
            (f, r, message)
        }
        "VALIDATOR_REGISTRATION" => {
            let (f, r, p) = body!("validator_registration", ValidatorRegistration);
            (f, r, M::ValidatorRegistration(p))
        }
        // Anything else, BLS_TO_EXECUTION_CHANGE included (not part of the API, and P never
        // signs one: DESIGN.md "Policy beyond slashing").
        other => return Err(RequestError::UnsupportedType(other.to_owned())),
    };
    Ok(SignRequest {
        signing_root,
        fork_info,
        message,
    })
}

/// The body of AGGREGATE_AND_PROOF (`T` the container) or AGGREGATE_AND_PROOF_V2 (`T` =
/// [`Versioned`]).
#[derive(Deserialize)]
struct AggregateBody<T> {
    #[serde(default)]
    fork_info: Option<ForkInfo>,
    #[serde(
        rename = "signingRoot",
        default,
        with = "crate::primitives::hex_root::option"
    )]
    signing_root: Option<B256>,
    aggregate_and_proof: T,
}

/// `{ "version": "...", "data": {...} }` of AGGREGATE_AND_PROOF_V2.
#[derive(Deserialize)]
struct Versioned<T> {
    version: ApiForkName,
    data: T,
}

type Aggregate = (
    Option<ForkInfo>,
    Option<B256>,
    Option<ForkName>,
    AnyAggregateAndProof,
);

/// Reads an aggregate body with the container `T`; the V2 `version` is returned as sent.
fn aggregate<T: DeserializeOwned>(
    body: &[u8],
    v2: bool,
    wrap: fn(T) -> AnyAggregateAndProof,
) -> Result<Aggregate, RequestError> {
    if v2 {
        let b: AggregateBody<Versioned<T>> = from_slice(body)?;
        let Versioned { version, data } = b.aggregate_and_proof;
        Ok((b.fork_info, b.signing_root, Some(version.0), wrap(data)))
    } else {
        let b: AggregateBody<T> = from_slice(body)?;
        Ok((
            b.fork_info,
            b.signing_root,
            None,
            wrap(b.aggregate_and_proof),
        ))
    }
}

/// Whether the body's aggregate has a `committee_bits` member (any value, `null` included):
/// the Electra `Attestation` (EIP-7549) has it, the phase0 one does not. A body this probe
/// cannot read is reported as phase0 and refused with a precise error by the full parse.
fn carries_committee_bits(body: &[u8], v2: bool) -> bool {
    fn present<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| true)
    }
    #[derive(Deserialize)]
    struct Attestation {
        #[serde(default, deserialize_with = "present")]
        committee_bits: bool,
    }
    #[derive(Deserialize)]
    struct Container {
        aggregate: Attestation,
    }
    #[derive(Deserialize)]
    struct V1 {
        aggregate_and_proof: Container,
    }
    #[derive(Deserialize)]
    struct V2 {
        aggregate_and_proof: Versioned<Container>,
    }
    if v2 {
        serde_json::from_slice::<V2>(body)
            .is_ok_and(|b| b.aggregate_and_proof.data.aggregate.committee_bits)
    } else {
        serde_json::from_slice::<V1>(body)
            .is_ok_and(|b| b.aggregate_and_proof.aggregate.committee_bits)
    }
}

/// `beacon_block` of BLOCK_V2: PHASE0 and ALTAIR carry the full `block`, later forks only the
/// `block_header`. The member the version does not use is ignored like any extra field.
#[derive(Deserialize)]
struct VersionedBlock {
    version: String,
    #[serde(default)]
    block: Option<serde_json::Value>,
    #[serde(default)]
    block_header: Option<serde_json::Value>,
}

fn altair_header(
    block: serde_json::Value,
    preset: PresetName,
) -> Result<BeaconBlockHeader, RequestError> {
    fn header<P: Preset>(block: serde_json::Value) -> Result<BeaconBlockHeader, RequestError> {
        Ok(from_value::<altair::BeaconBlock<P>>(block, "beacon_block.block")?.header())
    }
    match preset {
        PresetName::Mainnet => header::<Mainnet>(block),
        PresetName::Minimal => header::<Minimal>(block),
    }
}

/// A fork name as the API spells it (`"DENEB"`).
struct ApiForkName(ForkName);

impl<'de> Deserialize<'de> for ApiForkName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <Cow<'de, str>>::deserialize(d)?;
        ForkName::from_upper(&s).map(ApiForkName).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown fork version name {s:?} (expected one of PHASE0, ALTAIR, BELLATRIX, \
                 CAPELLA, DENEB, ELECTRA, FULU, GLOAS)"
            ))
        })
    }
}

/// Whether `s` is spelled as the API spells fork names (`"HEZE"`): upper-case letters and
/// digits.
fn is_fork_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn missing(parent: &str, field: &str) -> RequestError {
    RequestError::Malformed(format!("{parent}: missing field `{field}`"))
}

fn from_slice<'de, T: Deserialize<'de>>(body: &'de [u8]) -> Result<T, RequestError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value =
        serde_path_to_error::deserialize(StrictDe(&mut de)).map_err(|e| malformed("", e))?;
    de.end()
        .map_err(|e| RequestError::Malformed(format!("invalid JSON: {e}")))?;
    Ok(value)
}

fn from_value<T: DeserializeOwned>(
    value: serde_json::Value,
    prefix: &str,
) -> Result<T, RequestError> {
    serde_path_to_error::deserialize(StrictDe(value)).map_err(|e| malformed(prefix, e))
}

fn malformed(prefix: &str, e: serde_path_to_error::Error<serde_json::Error>) -> RequestError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    if !inner.is_data() {
        return RequestError::Malformed(format!("invalid JSON: {inner}"));
    }
    let at = match (prefix.is_empty(), path == ".") {
        (true, true) => return RequestError::Malformed(inner.to_string()),
        (true, false) => path,
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}.{path}"),
    };
    RequestError::Malformed(format!("{at}: {inner}"))
}
