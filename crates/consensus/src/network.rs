//! The network P is pinned to: genesis, fork schedule, timing, and the domains derived from them.
//!
//! P never trusts the caller for any of this. A request's `fork_info` is only checked against the
//! pinned values, and domains are always computed from the pinned schedule.

use crate::containers::{ForkData, SigningData};
use crate::preset::PresetName;
use crate::primitives::{Epoch, Slot, Version};
use alloy_primitives::{Address, B256};

use std::collections::BTreeMap;
use std::path::Path;
use tree_hash::TreeHash;

/// Consensus forks in order. The spec names them in `specs/<fork>/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ForkName {
    /// Genesis.
    Phase0,
    /// Sync committees.
    Altair,
    /// The merge: execution payloads in blocks.
    Bellatrix,
    /// Withdrawals.
    Capella,
    /// Blobs.
    Deneb,
    /// EIP-7251 consolidations, execution requests, the new attestation containers.
    Electra,
    /// PeerDAS and the proposer lookahead.
    Fulu,
    /// EIP-7732 ePBS (payloads outside the block, the payload-timeliness committee) and
    /// EIP-7688's progressive containers.
    Gloas,
}

impl ForkName {
    /// Every fork, in order.
    pub const ALL: [ForkName; 8] = [
        ForkName::Phase0,
        ForkName::Altair,
        ForkName::Bellatrix,
        ForkName::Capella,
        ForkName::Deneb,
        ForkName::Electra,
        ForkName::Fulu,
        ForkName::Gloas,
    ];

    /// The upper-case name used by the remote-signing API (`"DENEB"`) and config files.
    pub const fn as_upper(self) -> &'static str {
        match self {
            ForkName::Phase0 => "PHASE0",
            ForkName::Altair => "ALTAIR",
            ForkName::Bellatrix => "BELLATRIX",
            ForkName::Capella => "CAPELLA",
            ForkName::Deneb => "DENEB",
            ForkName::Electra => "ELECTRA",
            ForkName::Fulu => "FULU",
            ForkName::Gloas => "GLOAS",
        }
    }

    /// The fork named `s` in upper or any case (`"DENEB"`), if there is one.
    pub fn from_upper(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_upper().eq_ignore_ascii_case(s))
    }
}

/// Domain types, `specs/phase0/beacon-chain.md` "Domain types" (+ Altair sync committee,
/// Capella BLS-to-execution, builder-specs `DOMAIN_APPLICATION_BUILDER`).
pub mod domain {
    /// A `DomainType`: the first four bytes of every signing domain.
    pub type DomainType = [u8; 4];
    /// `DOMAIN_BEACON_PROPOSER`.
    pub const BEACON_PROPOSER: DomainType = [0, 0, 0, 0];
    /// `DOMAIN_BEACON_ATTESTER`.
    pub const BEACON_ATTESTER: DomainType = [1, 0, 0, 0];
    /// `DOMAIN_RANDAO`.
    pub const RANDAO: DomainType = [2, 0, 0, 0];
    /// `DOMAIN_DEPOSIT`.
    pub const DEPOSIT: DomainType = [3, 0, 0, 0];
    /// `DOMAIN_VOLUNTARY_EXIT`.
    pub const VOLUNTARY_EXIT: DomainType = [4, 0, 0, 0];
    /// `DOMAIN_SELECTION_PROOF`.
    pub const SELECTION_PROOF: DomainType = [5, 0, 0, 0];
    /// `DOMAIN_AGGREGATE_AND_PROOF`.
    pub const AGGREGATE_AND_PROOF: DomainType = [6, 0, 0, 0];
    /// `DOMAIN_SYNC_COMMITTEE`.
    pub const SYNC_COMMITTEE: DomainType = [7, 0, 0, 0];
    /// `DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF`.
    pub const SYNC_COMMITTEE_SELECTION_PROOF: DomainType = [8, 0, 0, 0];
    /// `DOMAIN_CONTRIBUTION_AND_PROOF`.
    pub const CONTRIBUTION_AND_PROOF: DomainType = [9, 0, 0, 0];
    /// `DOMAIN_BLS_TO_EXECUTION_CHANGE`.
    pub const BLS_TO_EXECUTION_CHANGE: DomainType = [10, 0, 0, 0];
    /// `DOMAIN_APPLICATION_BUILDER` (builder-specs).
    pub const APPLICATION_BUILDER: DomainType = [0, 0, 0, 1];
    /// `DOMAIN_BEACON_BUILDER` (gloas beacon-chain.md "Domain types"): execution payload
    /// envelopes, a self-building proposer's included.
    pub const BEACON_BUILDER: DomainType = [0x0b, 0, 0, 0];
    /// `DOMAIN_PTC_ATTESTER` (gloas): payload-timeliness votes.
    pub const PTC_ATTESTER: DomainType = [0x0c, 0, 0, 0];
    /// `DOMAIN_PROPOSER_PREFERENCES` (gloas): a proposer's preferences for its slot's payload.
    pub const PROPOSER_PREFERENCES: DomainType = [0x0d, 0, 0, 0];
    /// `DOMAIN_BUILDER_REQUEST_AUTH` (builder-specs `specs/gloas/builder.md`, "Constants"; first
    /// named `DOMAIN_REQUEST_AUTH`): a proposer's authorization of a bid request to a builder.
    pub const BUILDER_REQUEST_AUTH: DomainType = [0x0b, 0, 0, 0x01];
}

/// `compute_domain` (phase0 beacon-chain.md): domain type ‖ first 28 bytes of the fork data root.
pub fn compute_domain(
    domain_type: domain::DomainType,
    fork_version: Version,
    genesis_validators_root: B256,
) -> B256 {
    let fork_data_root = ForkData {
        current_version: fork_version,
        genesis_validators_root,
    }
    .tree_hash_root();
    let mut d = [0u8; 32];
    d[..4].copy_from_slice(&domain_type);
    d[4..].copy_from_slice(&fork_data_root.0[..28]);
    B256::from(d)
}

/// `compute_signing_root` (phase0 beacon-chain.md).
pub fn compute_signing_root(object_root: B256, domain: B256) -> B256 {
    SigningData {
        object_root,
        domain,
    }
    .tree_hash_root()
}

/// A pinned network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Network {
    /// `CONFIG_NAME`, as deposit data names it.
    pub name: String,
    /// The unix time of slot 0 (the genesis state's `genesis_time`).
    pub genesis_time: u64,
    /// The genesis state's validators root: bound into every domain but the deposit's.
    pub genesis_validators_root: B256,
    /// `GENESIS_FORK_VERSION`: deposits are signed with it.
    pub genesis_fork_version: Version,
    /// `SECONDS_PER_SLOT`.
    pub seconds_per_slot: u64,
    /// `SLOTS_PER_EPOCH` (32 in the mainnet preset, 8 in the minimal one).
    pub slots_per_epoch: u64,
    /// `SHARD_COMMITTEE_PERIOD`: epochs a validator must have been active before it may exit.
    pub shard_committee_period: u64,
    /// `MIN_VALIDATOR_WITHDRAWABILITY_DELAY`: epochs from a validator's exit to when it is
    /// withdrawable (`initiate_validator_exit`), which a withdrawal's ETA counts.
    pub min_validator_withdrawability_delay: u64,
    /// `PRESET_BASE`: the preset whose list and vector lengths the network's containers have
    /// (requests are parsed and hashed with them).
    pub preset: PresetName,
    /// `DEPOSIT_CHAIN_ID`: the execution chain the deposit contract and C live on.
    pub chain_id: u64,
    /// `DEPOSIT_CONTRACT_ADDRESS`.
    pub deposit_contract: Address,
    /// Activation epoch and version of every fork after Phase0, in order. A fork not scheduled
    /// is absent.
    pub forks: BTreeMap<ForkName, (Epoch, Version)>,
}

/// `MIN_VALIDATOR_WITHDRAWABILITY_DELAY` of both reference configurations (`configs/mainnet.yaml`
/// and `configs/minimal.yaml`: 256 epochs): what a config that does not set it means.
pub const DEFAULT_MIN_VALIDATOR_WITHDRAWABILITY_DELAY: u64 = 256;

/// `FAR_FUTURE_EPOCH` (phase0 beacon-chain.md): an unscheduled fork.
pub const FAR_FUTURE_EPOCH: u64 = u64::MAX;

impl Network {
    /// Ethereum mainnet, values from the consensus-specs `configs/mainnet.yaml` and the genesis state.
    pub fn mainnet() -> Self {
        Self::with_schedule(
            "mainnet",
            1_606_824_023,
            hex32("4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95"),
            [0x00, 0, 0, 0],
            1,
            &[
                (ForkName::Altair, 74_240, [0x01, 0, 0, 0]),
                (ForkName::Bellatrix, 144_896, [0x02, 0, 0, 0]),
                (ForkName::Capella, 194_048, [0x03, 0, 0, 0]),
                (ForkName::Deneb, 269_568, [0x04, 0, 0, 0]),
                (ForkName::Electra, 364_032, [0x05, 0, 0, 0]),
                (ForkName::Fulu, 411_392, [0x06, 0, 0, 0]),
            ],
        )
    }

    /// The Hoodi testnet, values from eth-clients/hoodi `metadata/config.yaml` and its genesis.
    pub fn hoodi() -> Self {
        Self::with_schedule(
            "hoodi",
            1_742_213_400,
            hex32("212f13fc4df078b6cb7db228f1c8307566dcecf900867401a92023d7ba99cb5f"),
            [0x10, 0x00, 0x09, 0x10],
            560_048,
            &[
                (ForkName::Altair, 0, [0x20, 0x00, 0x09, 0x10]),
                (ForkName::Bellatrix, 0, [0x30, 0x00, 0x09, 0x10]),
                (ForkName::Capella, 0, [0x40, 0x00, 0x09, 0x10]),
                (ForkName::Deneb, 0, [0x50, 0x00, 0x09, 0x10]),
                (ForkName::Electra, 2_048, [0x60, 0x00, 0x09, 0x10]),
                (ForkName::Fulu, 50_688, [0x70, 0x00, 0x09, 0x10]),
            ],
        )
    }

    /// The Sepolia testnet, values from eth-clients/sepolia `metadata/config.yaml` (genesis:
    /// `MIN_GENESIS_TIME` + `GENESIS_DELAY`) and its genesis state. The first public chain with
    /// Gloas, from epoch 353,024 (2026-10-06).
    pub fn sepolia() -> Self {
        let mut network = Self::with_schedule(
            "sepolia",
            1_655_733_600,
            hex32("d8ea171f3c94aea21ebc42a1ed61052acf3f9209c00e4efbaaddac09ed9b8078"),
            [0x90, 0x00, 0x00, 0x69],
            11_155_111,
            &[
                (ForkName::Altair, 50, [0x90, 0x00, 0x00, 0x70]),
                (ForkName::Bellatrix, 100, [0x90, 0x00, 0x00, 0x71]),
                (ForkName::Capella, 56_832, [0x90, 0x00, 0x00, 0x72]),
                (ForkName::Deneb, 132_608, [0x90, 0x00, 0x00, 0x73]),
                (ForkName::Electra, 222_464, [0x90, 0x00, 0x00, 0x74]),
                (ForkName::Fulu, 272_640, [0x90, 0x00, 0x00, 0x75]),
                (ForkName::Gloas, 353_024, [0x90, 0x00, 0x00, 0x76]),
            ],
        );
        network.deposit_contract = "0x7f02C3E3c98b133055B8B348B2Ac625669Ed295D"
            .parse()
            .expect("valid address");
        network
    }

    fn with_schedule(
        name: &str,
        genesis_time: u64,
        genesis_validators_root: B256,
        genesis_fork_version: [u8; 4],
        chain_id: u64,
        forks: &[(ForkName, u64, [u8; 4])],
    ) -> Self {
        Self {
            name: name.to_owned(),
            genesis_time,
            genesis_validators_root,
            genesis_fork_version: Version(genesis_fork_version),
            seconds_per_slot: 12,
            slots_per_epoch: 32,
            shard_committee_period: 256,
            min_validator_withdrawability_delay: DEFAULT_MIN_VALIDATOR_WITHDRAWABILITY_DELAY,
            preset: PresetName::Mainnet,
            chain_id,
            // The same address on mainnet and Hoodi (Sepolia sets its own).
            deposit_contract: "0x00000000219ab540356cBB839Cbe05303d7705Fa"
                .parse()
                .expect("valid address"),
            forks: forks
                .iter()
                .map(|&(f, e, v)| (f, (Epoch(e), Version(v))))
                .collect(),
        }
    }

    /// The public network whose genesis validators root is `root`, if it is one of the
    /// well-known ones (mainnet, the Sepolia, Holesky and Hoodi testnets, Gnosis), to name it in
    /// messages. P signs only for its pinned network; this only says where a request came from.
    pub fn known_name_of(root: B256) -> Option<&'static str> {
        const KNOWN: [(&str, &str); 5] = [
            (
                "mainnet",
                "4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95",
            ),
            (
                "sepolia",
                "d8ea171f3c94aea21ebc42a1ed61052acf3f9209c00e4efbaaddac09ed9b8078",
            ),
            (
                "holesky",
                "9143aa7c615a7f7115e2b6aac319c03529df8242ae705fba9df39b79c59fa8b1",
            ),
            (
                "hoodi",
                "212f13fc4df078b6cb7db228f1c8307566dcecf900867401a92023d7ba99cb5f",
            ),
            (
                "gnosis",
                "f5dcb5564e829aab27264b9becd5dfaa017085611224cb3036f573368dbb9d47",
            ),
        ];
        KNOWN
            .into_iter()
            .find(|(_, r)| hex32(r) == root)
            .map(|(name, _)| name)
    }

    /// A built-in network by name.
    pub fn by_name(name: &str) -> Result<Self, NetworkError> {
        match name {
            "mainnet" => Ok(Self::mainnet()),
            "hoodi" => Ok(Self::hoodi()),
            "sepolia" => Ok(Self::sepolia()),
            other => Err(NetworkError::Unknown(other.to_owned())),
        }
    }

    /// A devnet from a consensus-spec style `config.yaml` (the keys every devnet ships:
    /// `CONFIG_NAME`, `GENESIS_FORK_VERSION`, `<FORK>_FORK_VERSION`, `<FORK>_FORK_EPOCH`,
    /// `SECONDS_PER_SLOT`, `DEPOSIT_CHAIN_ID`, `DEPOSIT_CONTRACT_ADDRESS`) plus the two facts that
    /// only the genesis state has: `GENESIS_TIME` and `GENESIS_VALIDATORS_ROOT`. `PRESET_BASE`
    /// (`mainnet` or `minimal`) defaults to mainnet; `SLOTS_PER_EPOCH` (a preset value) defaults
    /// to the preset's (32, or 8 for minimal), `SHARD_COMMITTEE_PERIOD` to the preset's
    /// reference configuration's, `MIN_VALIDATOR_WITHDRAWABILITY_DELAY` to both reference
    /// configurations' 256. Unknown keys are ignored, as clients do.
    pub fn from_config_file(path: &Path) -> Result<Self, NetworkError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| NetworkError::Config(format!("cannot read {}: {e}", path.display())))?;
        Self::from_config_yaml(&text)
    }

    /// [`Network::from_config_file`] on the file's text.
    pub fn from_config_yaml(text: &str) -> Result<Self, NetworkError> {
        let map: BTreeMap<String, serde_yaml::Value> =
            serde_yaml::from_str(text).map_err(|e| NetworkError::Config(e.to_string()))?;
        let get = |k: &str| -> Result<String, NetworkError> {
            match map.get(k) {
                Some(serde_yaml::Value::String(s)) => Ok(s.clone()),
                Some(serde_yaml::Value::Number(n)) => Ok(n.to_string()),
                Some(_) => Err(NetworkError::Config(format!("{k} has the wrong type"))),
                None => Err(NetworkError::Config(format!("{k} is missing"))),
            }
        };
        let int = |k: &str| -> Result<u64, NetworkError> {
            let s = get(k)?;
            s.parse()
                .map_err(|_| NetworkError::Config(format!("{k} is not an unsigned integer: {s}")))
        };
        // YAML reads an unquoted `0x10000000` as an integer, so a version may arrive as either.
        let version = |k: &str| -> Result<Version, NetworkError> {
            let text = match map.get(k) {
                Some(serde_yaml::Value::Number(n)) => match n.as_u64() {
                    Some(v) if v <= u32::MAX as u64 => format!("{v:08x}"),
                    _ => return Err(NetworkError::Config(format!("{k} is not a 4-byte version"))),
                },
                _ => get(k)?,
            };
            Version::from_hex(&text).map_err(|e| NetworkError::Config(format!("{k}: {e}")))
        };
        let mut forks = BTreeMap::new();
        for fork in &ForkName::ALL[1..] {
            let epoch_key = format!("{}_FORK_EPOCH", fork.as_upper());
            if !map.contains_key(&epoch_key) {
                continue;
            }
            let epoch = int(&epoch_key)?;
            if epoch == FAR_FUTURE_EPOCH {
                continue;
            }
            forks.insert(
                *fork,
                (
                    Epoch(epoch),
                    version(&format!("{}_FORK_VERSION", fork.as_upper()))?,
                ),
            );
        }
        let gvr = get("GENESIS_VALIDATORS_ROOT")?;
        let preset = if map.contains_key("PRESET_BASE") {
            match get("PRESET_BASE")?.as_str() {
                "mainnet" => PresetName::Mainnet,
                "minimal" => PresetName::Minimal,
                other => {
                    return Err(NetworkError::Config(format!(
                        "PRESET_BASE {other:?} is not one P knows (mainnet, minimal)"
                    )))
                }
            }
        } else {
            PresetName::Mainnet
        };
        let network = Self {
            name: map
                .get("CONFIG_NAME")
                .and_then(|v| v.as_str())
                .unwrap_or("custom")
                .to_owned(),
            genesis_time: int("GENESIS_TIME")?,
            genesis_validators_root: gvr.parse().map_err(|_| {
                NetworkError::Config(format!(
                    "GENESIS_VALIDATORS_ROOT is not 32 bytes of hex: {gvr}"
                ))
            })?,
            genesis_fork_version: version("GENESIS_FORK_VERSION")?,
            seconds_per_slot: int("SECONDS_PER_SLOT")?,
            slots_per_epoch: if map.contains_key("SLOTS_PER_EPOCH") {
                int("SLOTS_PER_EPOCH")?
            } else {
                match preset {
                    PresetName::Mainnet => 32,
                    PresetName::Minimal => 8,
                }
            },
            shard_committee_period: if map.contains_key("SHARD_COMMITTEE_PERIOD") {
                int("SHARD_COMMITTEE_PERIOD")?
            } else {
                preset.default_shard_committee_period()
            },
            min_validator_withdrawability_delay: if map
                .contains_key("MIN_VALIDATOR_WITHDRAWABILITY_DELAY")
            {
                int("MIN_VALIDATOR_WITHDRAWABILITY_DELAY")?
            } else {
                DEFAULT_MIN_VALIDATOR_WITHDRAWABILITY_DELAY
            },
            preset,
            chain_id: int("DEPOSIT_CHAIN_ID")?,
            deposit_contract: get("DEPOSIT_CONTRACT_ADDRESS")?.parse().map_err(|_| {
                NetworkError::Config("DEPOSIT_CONTRACT_ADDRESS is not an address".into())
            })?,
            forks,
        };
        network.validate()?;
        Ok(network)
    }

    fn validate(&self) -> Result<(), NetworkError> {
        if self.seconds_per_slot == 0 || self.slots_per_epoch == 0 {
            return Err(NetworkError::Config(
                "SECONDS_PER_SLOT and SLOTS_PER_EPOCH must be positive".into(),
            ));
        }
        let mut last = Epoch(0);
        for (fork, (epoch, _)) in &self.forks {
            if *epoch < last {
                return Err(NetworkError::Config(format!(
                    "{} is scheduled before an earlier fork",
                    fork.as_upper()
                )));
            }
            last = *epoch;
        }
        Ok(())
    }

    /// The fork in force at `epoch`.
    pub fn fork_at(&self, epoch: Epoch) -> ForkName {
        self.forks
            .iter()
            .rev()
            .find(|(_, (e, _))| *e <= epoch)
            .map(|(f, _)| *f)
            .unwrap_or(ForkName::Phase0)
    }

    /// The fork version of `fork`, if it is scheduled (Phase0 always is).
    pub fn fork_version(&self, fork: ForkName) -> Option<Version> {
        match fork {
            ForkName::Phase0 => Some(self.genesis_fork_version),
            f => self.forks.get(&f).map(|(_, v)| *v),
        }
    }

    /// The `Fork` object (previous, current, epoch) of the fork in force at `epoch`, as a beacon
    /// state would hold it.
    pub fn fork_object_at(&self, epoch: Epoch) -> crate::containers::Fork {
        let current = self.fork_at(epoch);
        let current_version = self
            .fork_version(current)
            .expect("fork in force is scheduled");
        let (fork_epoch, previous_version) = match self.forks.range(..current).next_back() {
            _ if current == ForkName::Phase0 => (Epoch(0), self.genesis_fork_version),
            Some((_, (_, v))) => (self.forks[&current].0, *v),
            None => (self.forks[&current].0, self.genesis_fork_version),
        };
        crate::containers::Fork {
            previous_version,
            current_version,
            epoch: fork_epoch,
        }
    }

    /// `get_domain` with the pinned schedule: the version in force at `epoch` and the pinned
    /// genesis validators root.
    pub fn domain_at(&self, domain_type: domain::DomainType, epoch: Epoch) -> B256 {
        let version = self
            .fork_version(self.fork_at(epoch))
            .expect("fork in force is scheduled");
        compute_domain(domain_type, version, self.genesis_validators_root)
    }

    /// The current slot by the wall clock, `None` before genesis.
    pub fn slot_at_unix_time(&self, unix_seconds: u64) -> Option<Slot> {
        unix_seconds
            .checked_sub(self.genesis_time)
            .map(|dt| Slot(dt / self.seconds_per_slot))
    }

    /// Withdrawal credentials that send the validator's ETH to `address` with compounding
    /// (EIP-7251: `0x02 ‖ 0^11 ‖ address`).
    pub fn compounding_withdrawal_credentials(address: Address) -> B256 {
        let mut wc = [0u8; 32];
        wc[0] = 0x02;
        wc[12..].copy_from_slice(address.as_slice());
        B256::from(wc)
    }
}

fn hex32(s: &str) -> B256 {
    s.parse().expect("valid 32-byte hex constant")
}

/// Why a network could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// No built-in network of that name.
    #[error("unknown network {0:?} (built in: mainnet, hoodi; or pass a config file)")]
    Unknown(String),
    /// The config file is unreadable, not YAML, or lacks or misstates a field.
    #[error("bad network config: {0}")]
    Config(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mainnet_fork_schedule_is_ordered() {
        let n = Network::mainnet();
        assert_eq!(n.fork_at(Epoch(0)), ForkName::Phase0);
        assert_eq!(n.fork_at(Epoch(74_240)), ForkName::Altair);
        assert_eq!(n.fork_at(Epoch(364_031)), ForkName::Deneb);
        assert_eq!(n.fork_at(Epoch(u64::MAX)), ForkName::Fulu);
        let f = n.fork_object_at(Epoch(370_000));
        assert_eq!(f.current_version, Version([5, 0, 0, 0]));
        assert_eq!(f.previous_version, Version([4, 0, 0, 0]));
        assert_eq!(f.epoch, Epoch(364_032));
    }

    #[test]
    fn mainnet_deposit_domain_matches_the_well_known_value() {
        // DOMAIN_DEPOSIT with the mainnet genesis fork version and a zero root, as every
        // deposit tool computes it.
        let d = compute_domain(domain::DEPOSIT, Version([0; 4]), B256::ZERO);
        assert_eq!(
            d,
            hex32("03000000f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a9")
        );
    }

    #[test]
    fn devnet_config_round_trips_the_fields_that_matter() {
        let yaml = r#"
CONFIG_NAME: 'lsv-devnet'
GENESIS_FORK_VERSION: 0x10000000
ALTAIR_FORK_VERSION: 0x20000000
ALTAIR_FORK_EPOCH: 0
ELECTRA_FORK_VERSION: 0x60000000
ELECTRA_FORK_EPOCH: 10
FULU_FORK_VERSION: 0x70000000
FULU_FORK_EPOCH: 18446744073709551615
SECONDS_PER_SLOT: 6
DEPOSIT_CHAIN_ID: 1337
DEPOSIT_CONTRACT_ADDRESS: 0x4242424242424242424242424242424242424242
GENESIS_TIME: 1700000000
GENESIS_VALIDATORS_ROOT: 0x0101010101010101010101010101010101010101010101010101010101010101
"#;
        let n = Network::from_config_yaml(yaml).unwrap();
        assert_eq!(n.name, "lsv-devnet");
        assert_eq!(n.seconds_per_slot, 6);
        assert_eq!(n.fork_at(Epoch(11)), ForkName::Electra);
        assert!(!n.forks.contains_key(&ForkName::Fulu));
        assert_eq!(n.preset, PresetName::Mainnet);
        assert_eq!(n.slots_per_epoch, 32);
        assert_eq!(n.min_validator_withdrawability_delay, 256);
        assert!(Network::from_config_yaml("SECONDS_PER_SLOT: 6").is_err());

        let delays = Network::from_config_yaml(&format!(
            "{yaml}SHARD_COMMITTEE_PERIOD: 4\nMIN_VALIDATOR_WITHDRAWABILITY_DELAY: 8\n"
        ))
        .unwrap();
        assert_eq!(delays.shard_committee_period, 4);
        assert_eq!(delays.min_validator_withdrawability_delay, 8);

        let minimal =
            Network::from_config_yaml(&format!("{yaml}PRESET_BASE: 'minimal'\n")).unwrap();
        assert_eq!(minimal.preset, PresetName::Minimal);
        assert_eq!(minimal.slots_per_epoch, 8);
        assert!(Network::from_config_yaml(&format!("{yaml}PRESET_BASE: 'gnosis'\n")).is_err());
    }
}
