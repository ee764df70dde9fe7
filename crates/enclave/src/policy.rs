//! What P signs beyond slashing protection (DESIGN.md, "Policy beyond slashing" and "Time").
//!
//! The host chooses every request and the clock, so each rule here is about what one forged
//! request could do: a deposit with other credentials would hand the validator to someone else;
//! a far-future block or attestation would raise the watermarks so high that the key could never
//! sign again.

use alloy_primitives::{Address, B256};
use lsv_consensus::{Gwei, Network, PublicKeyBytes, SignableMessage, SlashingSubject, Slot};

/// The deposit amount P signs for: 32 ETH (`MIN_ACTIVATION_BALANCE`, Electra beacon-chain.md).
pub const DEPOSIT_AMOUNT: Gwei = Gwei(32_000_000_000);

/// `EPOCHS_PER_SYNC_COMMITTEE_PERIOD` (Altair beacon-chain.md): validator clients compute
/// sync-committee selection proofs up to a period ahead, so messages that cannot move a
/// watermark may look that far into the future.
pub const EPOCHS_PER_SYNC_COMMITTEE_PERIOD: u64 = 256;

/// The wall clock, as the host reports it. A seam so tests can move time.
pub trait Clock: Send + Sync + 'static {
    /// Seconds since the Unix epoch.
    fn unix_seconds(&self) -> u64;
}

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn unix_seconds(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
}

/// P's signing policy, fixed when P starts.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The network P is pinned to: its genesis, forks and chain id decide every signing root.
    pub network: Network,
    /// C, the lsv contract that must receive every validator's withdrawals. Without it P signs
    /// no deposit at all.
    pub withdrawal_contract: Option<Address>,
    /// How far ahead of the clock a block or attestation may be, in slots.
    pub max_skew_slots: u64,
}

impl Policy {
    /// The policy for `network` and C, with the default skew of 2 slots.
    pub fn new(network: Network, withdrawal_contract: Option<Address>) -> Self {
        Self {
            network,
            withdrawal_contract,
            max_skew_slots: 2,
        }
    }

    /// The only withdrawal credentials P puts in a deposit: `0x02 ‖ 0^11 ‖ C` (EIP-7251).
    pub fn withdrawal_credentials(&self) -> Result<B256, PolicyViolation> {
        self.withdrawal_contract
            .map(Network::compounding_withdrawal_credentials)
            .ok_or(PolicyViolation::NoWithdrawalContract)
    }

    /// Checks `message`, to be signed by `signer` at wall-clock time `now`, against every rule
    /// that does not need the slashing database.
    pub fn check(
        &self,
        signer: &PublicKeyBytes,
        message: &SignableMessage,
        now_unix: u64,
    ) -> Result<(), PolicyViolation> {
        self.check_time(message, now_unix)?;
        match message {
            SignableMessage::Deposit {
                message: deposit,
                genesis_fork_version,
            } => {
                let expected = self.withdrawal_credentials()?;
                if deposit.withdrawal_credentials != expected {
                    return Err(PolicyViolation::DepositCredentials {
                        requested: deposit.withdrawal_credentials,
                        required: expected,
                    });
                }
                if deposit.amount != DEPOSIT_AMOUNT {
                    return Err(PolicyViolation::DepositAmount(deposit.amount));
                }
                if *genesis_fork_version != self.network.genesis_fork_version {
                    return Err(PolicyViolation::DepositForkVersion);
                }
                if deposit.pubkey != *signer {
                    return Err(PolicyViolation::ForeignPubkey);
                }
            }
            SignableMessage::ValidatorRegistration(reg) if reg.pubkey != *signer => {
                return Err(PolicyViolation::ForeignPubkey);
            }
            _ => {}
        }
        Ok(())
    }

    /// The latest slot a block or attestation may claim at wall-clock time `now_unix`.
    pub fn slashable_limit(&self, now_unix: u64) -> Slot {
        Slot(
            self.current_slot(now_unix)
                .as_u64()
                .saturating_add(self.max_skew_slots),
        )
    }

    /// The slot at `now_unix` by the network's clock. Before genesis the current slot is 0:
    /// nothing may claim to be far past it.
    pub fn current_slot(&self, now_unix: u64) -> Slot {
        self.network.slot_at_unix_time(now_unix).unwrap_or(Slot(0))
    }

    fn check_time(&self, message: &SignableMessage, now_unix: u64) -> Result<(), PolicyViolation> {
        let now = self.current_slot(now_unix);
        let spe = self.network.slots_per_epoch;
        // Messages that move a slashing watermark get the tight bound; the rest get a sync
        // committee period of lookahead.
        let (claimed, allowed_ahead) = match message.slashing_subject() {
            SlashingSubject::Block { slot } => (slot, self.max_skew_slots),
            SlashingSubject::Attestation { source, target } => {
                (source.max(target).start_slot(spe), self.max_skew_slots)
            }
            SlashingSubject::None => match message.claimed_slot(spe) {
                Some(slot) => (
                    slot,
                    EPOCHS_PER_SYNC_COMMITTEE_PERIOD * spe + self.max_skew_slots,
                ),
                None => return Ok(()),
            },
        };
        let limit = now.as_u64().saturating_add(allowed_ahead);
        if claimed.as_u64() > limit {
            return Err(PolicyViolation::FarFuture {
                claimed,
                current: now,
                limit: Slot(limit),
            });
        }
        Ok(())
    }
}

/// The version of P's policy description. Raise it whenever a rule P enforces changes, so the
/// policy hash (and with it every vault's `POLICY_HASH`) changes too.
pub const POLICY_VERSION: u32 = 2;

impl Policy {
    /// The canonical description of the rules P enforces: one rule per line, every number
    /// written out, in a fixed order. Its SHA-256 is [`Policy::hash`].
    ///
    /// What is bound elsewhere is left out: the network (the evidence binds chain id and
    /// genesis validators root), C (it binds the withdrawal credentials) and the program itself
    /// (MRENCLAVE, in a hardware quote). What is here is what a host could otherwise vary
    /// between two runs of the same program: today, the far-future bound.
    pub fn canonical_description(&self) -> String {
        let spe = self.network.slots_per_epoch;
        let skew = self.max_skew_slots;
        let lookahead = (EPOCHS_PER_SYNC_COMMITTEE_PERIOD * spe).saturating_add(skew);
        let amount = DEPOSIT_AMOUNT.as_u64();
        format!(
            "lsv-policy v{POLICY_VERSION}\n\
             keys: generated inside P from OS randomness (BLS KeyGen); no import; no export\n\
             signing roots: computed by P from typed requests; network pinned by genesis validators root and fork schedule\n\
             slashing protection: EIP-3076; block slot > highest signed block slot; attestation source >= highest source and target > highest target; no surround; identical data may be re-signed; record durable before release\n\
             far future: block and attestation slots <= current slot + {skew}; other messages <= current slot + {lookahead}\n\
             deposit: withdrawal credentials 0x02||0^11||C; amount {amount} gwei; genesis fork version; signer's own pubkey\n\
             validator registration: signer's own pubkey\n\
             payload-timeliness vote (gloas): one a slot, slots increasing, per key while P runs\n\
             execution payload envelope (gloas): self-built only, for the block the key signed last, one a block, while P runs\n\
             bls to execution change: never\n\
             attestation: at key generation only\n"
        )
    }

    /// `sha256(canonical_description())`: what a vault pins as `POLICY_HASH`, so it trusts
    /// exactly the P that enforces these rules with these parameters.
    pub fn hash(&self) -> B256 {
        use sha2::{Digest, Sha256};
        B256::from_slice(&Sha256::digest(self.canonical_description().as_bytes()))
    }
}

/// A request P refuses on policy, not on slashing history.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyViolation {
    /// A deposit was asked for, but P was started without C.
    #[error("no withdrawal contract is configured, so no deposit can be signed")]
    NoWithdrawalContract,
    /// A deposit whose withdrawal credentials are not C's.
    #[error("deposit withdrawal credentials {requested} are not the lsv contract's {required}")]
    DepositCredentials {
        /// The credentials in the request.
        requested: B256,
        /// `0x02 ‖ 0^11 ‖ C`.
        required: B256,
    },
    /// A deposit of another amount than 32 ETH.
    #[error("deposit amount {0} gwei is not 32 ETH")]
    DepositAmount(Gwei),
    /// A deposit signed for another network's genesis fork version.
    #[error("deposit genesis fork version is not the pinned network's")]
    DepositForkVersion,
    /// A deposit or validator registration that names a key other than the signing one.
    #[error("the message names another validator's public key")]
    ForeignPubkey,
    /// A block or attestation beyond the clock's slot plus the allowed skew: signing it could block
    /// the key's later duties.
    #[error(
        "slot {claimed} is beyond the current slot {current} plus the allowed skew (limit {limit})"
    )]
    FarFuture {
        /// The request's slot.
        claimed: Slot,
        /// The clock's slot.
        current: Slot,
        /// The highest slot P signs for now.
        limit: Slot,
    },
    /// A second payload-timeliness vote for a slot, or one for a slot before the key's last.
    #[error(
        "a payload-timeliness vote for slot {slot}, but this key already voted another way there \
         or for the later slot {last}: one vote a slot, in slot order"
    )]
    SecondPtcVote {
        /// The request's slot.
        slot: Slot,
        /// The slot of the key's last vote.
        last: Slot,
    },
    /// An execution payload envelope of a builder: a validator's key signs only its own.
    #[error(
        "an execution payload envelope of builder {0}: a validator signs only the envelope of a \
         payload it built itself (builder_index BUILDER_INDEX_SELF_BUILD)"
    )]
    EnvelopeNotSelfBuilt(u64),
    /// An envelope for a block this key did not sign last (or not since P started).
    #[error(
        "an execution payload envelope for block {block_root} at slot {slot}, which is not the \
         block this key signed last"
    )]
    EnvelopeForUnsignedBlock {
        /// The payload's slot.
        slot: Slot,
        /// The block it is for.
        block_root: B256,
    },
    /// A second, different envelope for one block.
    #[error("another execution payload envelope for block {0}: one envelope a block")]
    SecondEnvelope(B256),
}
