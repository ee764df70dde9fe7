//! The two tokens of C: sETH (ERC-20 + ERC-2612 permit, `src/SETH.sol`) and the positions
//! (ERC-721, `src/Positions.sol`), deployed from an account standing in for the vault.
//!
//! Permits are signed with real secp256k1 keys (`k256`) over an EIP-712 digest computed here with
//! `alloy-sol-types`, independently of the contract. A property test runs random transfer /
//! approve / mint / burn sequences against a model. Gas per call:
//! `cargo test -p lsv-contracts --test tokens -- --nocapture token_gas`.

#![allow(unused_crate_dependencies)]

mod common;

use alloy_primitives::{keccak256, Address, FixedBytes, B256, U256};
use alloy_sol_types::{sol, Eip712Domain, SolCall, SolStruct, SolValue};
use common::ether;
use k256::ecdsa::SigningKey;
use lsv_contracts::artifacts::{ERC721_RECEIVER_PROBE, POSITIONS, SETH as SETH_ARTIFACT};
use lsv_contracts::bindings::{ERC721ReceiverProbe, Positions, SETH};
use lsv_contracts::{Chain, Receipt};
use proptest::prelude::*;
use std::collections::HashMap;

use Positions::PositionsErrors as PErr;
use SETH::SETHErrors as SErr;

sol! {
    /// ERC-2612's signed struct, as the standard defines it: the digest is computed from this
    /// declaration, not from the contract's constants.
    struct Permit {
        address owner;
        address spender;
        uint256 value;
        uint256 nonce;
        uint256 deadline;
    }
}

/// secp256k1's group order n.
const SECP256K1_N: U256 = U256::from_be_slice(&[
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
    0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41,
]);

// ---- setup ------------------------------------------------------------------------------------

/// A chain with sETH and the positions token deployed by `vault`.
struct Tokens {
    chain: Chain,
    vault: Address,
    seth: Address,
    positions: Address,
}

impl Tokens {
    fn new() -> Self {
        let mut chain = Chain::new();
        let vault = chain.account("vault");
        let seth = chain
            .deploy_from(vault, &SETH_ARTIFACT, &[], U256::ZERO)
            .expect("sETH deploys");
        let positions = chain
            .deploy_from(vault, &POSITIONS, &[], U256::ZERO)
            .expect("positions deploy");
        Self {
            chain,
            vault,
            seth,
            positions,
        }
    }

    fn seth<C: SolCall>(&mut self, from: Address, call: &C) -> Receipt {
        self.chain
            .send(from, self.seth, call, U256::ZERO)
            .expect("valid transaction")
    }

    fn pos<C: SolCall>(&mut self, from: Address, call: &C) -> Receipt {
        self.chain
            .send(from, self.positions, call, U256::ZERO)
            .expect("valid transaction")
    }

    fn mint_seth(&mut self, to: Address, amount: U256) {
        let vault = self.vault;
        self.seth(vault, &SETH::mintCall { to, amount })
            .expect_success();
    }

    fn balance(&self, account: Address) -> U256 {
        self.chain
            .view(self.seth, &SETH::balanceOfCall { account })
            .unwrap()
    }

    fn total_supply(&self) -> U256 {
        self.chain
            .view(self.seth, &SETH::totalSupplyCall {})
            .unwrap()
    }

    fn allowance(&self, owner: Address, spender: Address) -> U256 {
        self.chain
            .view(self.seth, &SETH::allowanceCall { owner, spender })
            .unwrap()
    }

    fn nonce(&self, owner: Address) -> U256 {
        self.chain
            .view(self.seth, &SETH::noncesCall { owner })
            .unwrap()
    }

    fn mint_position(&mut self, to: Address) -> U256 {
        let vault = self.vault;
        let receipt = self
            .pos(vault, &Positions::mintCall { to })
            .expect_success();
        receipt.decode_return::<Positions::mintCall>().unwrap()
    }

    fn owner_of(&self, id: u64) -> Address {
        self.chain
            .view(
                self.positions,
                &Positions::ownerOfCall { id: U256::from(id) },
            )
            .unwrap()
    }

    fn nft_balance(&self, owner: Address) -> U256 {
        self.chain
            .view(self.positions, &Positions::balanceOfCall { owner })
            .unwrap()
    }

    fn receiver_probe(&mut self, mode: u8) -> Address {
        self.chain
            .deploy(&ERC721_RECEIVER_PROBE, &U256::from(mode).abi_encode())
            .expect("probe deploys")
    }
}

fn seth_error(receipt: &Receipt) -> SErr {
    receipt
        .revert_error::<SErr>()
        .unwrap_or_else(|| panic!("expected an sETH error: {receipt}"))
}

fn pos_error(receipt: &Receipt) -> PErr {
    receipt
        .revert_error::<PErr>()
        .unwrap_or_else(|| panic!("expected a Positions error: {receipt}"))
}

// ---- sETH: deployment, mint, burn -------------------------------------------------------------

#[test]
fn seth_metadata_and_vault_are_fixed_at_deployment() {
    let t = Tokens::new();
    assert_eq!(
        t.chain.view(t.seth, &SETH::nameCall {}).unwrap(),
        "lsv staked ETH"
    );
    assert_eq!(t.chain.view(t.seth, &SETH::symbolCall {}).unwrap(), "sETH");
    assert_eq!(t.chain.view(t.seth, &SETH::decimalsCall {}).unwrap(), 18);
    assert_eq!(t.chain.view(t.seth, &SETH::VAULTCall {}).unwrap(), t.vault);
    assert_eq!(t.total_supply(), U256::ZERO);
}

#[test]
fn only_the_vault_mints() {
    let mut t = Tokens::new();
    let alice = t.chain.account("alice");
    let call = SETH::mintCall {
        to: alice,
        amount: ether(31),
    };
    let refused = t.seth(alice, &call);
    assert_eq!(seth_error(&refused), SErr::OnlyVault(SETH::OnlyVault {}));

    let vault = t.vault;
    let receipt = t.seth(vault, &call).expect_success();
    assert_eq!(
        receipt.events_from::<SETH::Transfer>(t.seth),
        vec![SETH::Transfer {
            from: Address::ZERO,
            to: alice,
            amount: ether(31)
        }]
    );
    assert_eq!(t.balance(alice), ether(31));
    assert_eq!(t.total_supply(), ether(31));

    for to in [Address::ZERO, t.seth] {
        let refused = t.seth(
            vault,
            &SETH::mintCall {
                to,
                amount: ether(1),
            },
        );
        assert_eq!(
            seth_error(&refused),
            SErr::InvalidReceiver(SETH::InvalidReceiver { receiver: to })
        );
    }
}

#[test]
fn mint_overflowing_the_supply_panics() {
    let mut t = Tokens::new();
    let alice = t.chain.account("alice");
    t.mint_seth(alice, U256::MAX);
    let vault = t.vault;
    let receipt = t.seth(
        vault,
        &SETH::mintCall {
            to: alice,
            amount: U256::from(1),
        },
    );
    assert!(!receipt.is_success());
    assert_eq!(t.total_supply(), U256::MAX);
}

#[test]
fn only_the_vault_burns_and_never_more_than_a_balance() {
    let mut t = Tokens::new();
    let alice = t.chain.account("alice");
    let vault = t.vault;
    t.mint_seth(alice, ether(31));

    // Not even the holder itself: burning is the vault's redemption path.
    for caller in [alice, t.chain.account("bob")] {
        let refused = t.seth(
            caller,
            &SETH::burnFromCall {
                from: alice,
                amount: ether(1),
            },
        );
        assert_eq!(seth_error(&refused), SErr::OnlyVault(SETH::OnlyVault {}));
    }
    let refused = t.seth(
        vault,
        &SETH::burnFromCall {
            from: alice,
            amount: ether(32),
        },
    );
    assert_eq!(
        seth_error(&refused),
        SErr::InsufficientBalance(SETH::InsufficientBalance {
            balance: ether(31),
            needed: ether(32)
        })
    );
    assert_eq!(t.total_supply(), ether(31));

    let receipt = t
        .seth(
            vault,
            &SETH::burnFromCall {
                from: alice,
                amount: ether(4),
            },
        )
        .expect_success();
    assert_eq!(
        receipt.events_from::<SETH::Transfer>(t.seth),
        vec![SETH::Transfer {
            from: alice,
            to: Address::ZERO,
            amount: ether(4)
        }]
    );
    assert_eq!(t.balance(alice), ether(27));
    assert_eq!(t.total_supply(), ether(27));
}

// ---- sETH: transfers and allowances -----------------------------------------------------------

#[test]
fn transfer_moves_balance_and_emits() {
    let mut t = Tokens::new();
    let (alice, bob) = (t.chain.account("alice"), t.chain.account("bob"));
    t.mint_seth(alice, ether(5));

    let receipt = t
        .seth(
            alice,
            &SETH::transferCall {
                to: bob,
                amount: ether(2),
            },
        )
        .expect_success();
    assert!(receipt.decode_return::<SETH::transferCall>().unwrap());
    assert_eq!(
        receipt.events_from::<SETH::Transfer>(t.seth),
        vec![SETH::Transfer {
            from: alice,
            to: bob,
            amount: ether(2)
        }]
    );
    assert_eq!((t.balance(alice), t.balance(bob)), (ether(3), ether(2)));

    // To oneself and of zero: allowed, balances unchanged.
    for (to, amount) in [(alice, ether(3)), (bob, U256::ZERO)] {
        t.seth(alice, &SETH::transferCall { to, amount })
            .expect_success();
    }
    assert_eq!((t.balance(alice), t.balance(bob)), (ether(3), ether(2)));
    assert_eq!(t.total_supply(), ether(5));
}

#[test]
fn transfer_refusals_are_named() {
    let mut t = Tokens::new();
    let (alice, bob) = (t.chain.account("alice"), t.chain.account("bob"));
    t.mint_seth(alice, ether(5));

    let refused = t.seth(
        alice,
        &SETH::transferCall {
            to: bob,
            amount: ether(5) + U256::from(1),
        },
    );
    assert_eq!(
        seth_error(&refused),
        SErr::InsufficientBalance(SETH::InsufficientBalance {
            balance: ether(5),
            needed: ether(5) + U256::from(1)
        })
    );
    for to in [Address::ZERO, t.seth] {
        let refused = t.seth(
            alice,
            &SETH::transferCall {
                to,
                amount: ether(1),
            },
        );
        assert_eq!(
            seth_error(&refused),
            SErr::InvalidReceiver(SETH::InvalidReceiver { receiver: to })
        );
    }
    assert_eq!(t.balance(alice), ether(5));
}

#[test]
fn transfer_from_spends_a_finite_allowance_and_logs_what_is_left() {
    let mut t = Tokens::new();
    let (alice, bob, carol) = (
        t.chain.account("alice"),
        t.chain.account("bob"),
        t.chain.account("carol"),
    );
    t.mint_seth(alice, ether(10));

    let receipt = t
        .seth(
            alice,
            &SETH::approveCall {
                spender: bob,
                amount: ether(3),
            },
        )
        .expect_success();
    assert_eq!(
        receipt.events_from::<SETH::Approval>(t.seth),
        vec![SETH::Approval {
            owner: alice,
            spender: bob,
            amount: ether(3)
        }]
    );

    let receipt = t
        .seth(
            bob,
            &SETH::transferFromCall {
                from: alice,
                to: carol,
                amount: ether(2),
            },
        )
        .expect_success();
    assert_eq!(
        receipt.events_from::<SETH::Approval>(t.seth),
        vec![SETH::Approval {
            owner: alice,
            spender: bob,
            amount: ether(1)
        }]
    );
    assert_eq!(
        receipt.events_from::<SETH::Transfer>(t.seth),
        vec![SETH::Transfer {
            from: alice,
            to: carol,
            amount: ether(2)
        }]
    );
    assert_eq!(t.allowance(alice, bob), ether(1));
    assert_eq!(t.balance(carol), ether(2));

    let refused = t.seth(
        bob,
        &SETH::transferFromCall {
            from: alice,
            to: carol,
            amount: ether(2),
        },
    );
    assert_eq!(
        seth_error(&refused),
        SErr::InsufficientAllowance(SETH::InsufficientAllowance {
            allowance: ether(1),
            needed: ether(2)
        })
    );
    // Allowance is no balance: carol was never approved.
    let refused = t.seth(
        carol,
        &SETH::transferFromCall {
            from: alice,
            to: carol,
            amount: U256::from(1),
        },
    );
    assert_eq!(
        seth_error(&refused),
        SErr::InsufficientAllowance(SETH::InsufficientAllowance {
            allowance: U256::ZERO,
            needed: U256::from(1)
        })
    );
    // Approve sets, it does not add.
    t.seth(
        alice,
        &SETH::approveCall {
            spender: bob,
            amount: ether(50),
        },
    )
    .expect_success();
    assert_eq!(t.allowance(alice, bob), ether(50));
    let refused = t.seth(
        bob,
        &SETH::transferFromCall {
            from: alice,
            to: carol,
            amount: ether(9),
        },
    );
    assert_eq!(
        seth_error(&refused),
        SErr::InsufficientBalance(SETH::InsufficientBalance {
            balance: ether(8),
            needed: ether(9)
        })
    );
    assert_eq!(
        t.allowance(alice, bob),
        ether(50),
        "a revert spends nothing"
    );
}

#[test]
fn an_infinite_allowance_is_never_lowered() {
    let mut t = Tokens::new();
    let (alice, bob) = (t.chain.account("alice"), t.chain.account("bob"));
    t.mint_seth(alice, ether(10));
    t.seth(
        alice,
        &SETH::approveCall {
            spender: bob,
            amount: U256::MAX,
        },
    )
    .expect_success();
    for _ in 0..3 {
        let receipt = t
            .seth(
                bob,
                &SETH::transferFromCall {
                    from: alice,
                    to: bob,
                    amount: ether(3),
                },
            )
            .expect_success();
        assert!(receipt.events_from::<SETH::Approval>(t.seth).is_empty());
    }
    assert_eq!(t.allowance(alice, bob), U256::MAX);
    assert_eq!(t.balance(bob), ether(9));
}

// ---- sETH: permit (ERC-2612) ------------------------------------------------------------------

/// A secp256k1 key derived from `label`, and its Ethereum address.
fn key(label: &str) -> (SigningKey, Address) {
    let key = SigningKey::from_bytes(&keccak256(format!("tokens test key: {label}")).0.into())
        .expect("a valid scalar");
    let point = key.verifying_key().to_encoded_point(false);
    let address = Address::from_slice(&keccak256(&point.as_bytes()[1..])[12..]);
    (key, address)
}

/// The EIP-712 domain sETH should use: built from the standard, not read from the contract.
fn domain(seth: Address, chain_id: u64) -> Eip712Domain {
    Eip712Domain::new(
        Some("lsv staked ETH".into()),
        Some("1".into()),
        Some(U256::from(chain_id)),
        Some(seth),
        None,
    )
}

/// (v, r, s) over `permit` under `domain`, with `s` in the lower half (as `k256` signs).
fn sign(key: &SigningKey, permit: &Permit, domain: &Eip712Domain) -> (u8, B256, B256) {
    let digest = permit.eip712_signing_hash(domain);
    let (signature, recovery) = key
        .sign_prehash_recoverable(digest.as_slice())
        .expect("signs");
    let bytes = signature.to_bytes();
    let (r, s) = (
        B256::from_slice(&bytes[..32]),
        B256::from_slice(&bytes[32..]),
    );
    assert!(
        U256::from_be_bytes(s.0) <= SECP256K1_N >> 1,
        "k256 signs low-s"
    );
    (27 + recovery.to_byte(), r, s)
}

fn permit_call(permit: &Permit, (v, r, s): (u8, B256, B256)) -> SETH::permitCall {
    SETH::permitCall {
        owner: permit.owner,
        spender: permit.spender,
        value: permit.value,
        deadline: permit.deadline,
        v,
        r,
        s,
    }
}

/// A chain with sETH, a holder whose key we hold (funded with `set_balance`, 7 sETH), a spender
/// and a relayer.
struct PermitSetup {
    t: Tokens,
    holder_key: SigningKey,
    holder: Address,
    spender: Address,
    relayer: Address,
}

fn permit_setup() -> PermitSetup {
    let mut t = Tokens::new();
    let (holder_key, holder) = key("holder");
    t.chain.set_balance(holder, ether(1));
    t.mint_seth(holder, ether(7));
    let spender = t.chain.account("spender");
    let relayer = t.chain.account("relayer");
    PermitSetup {
        t,
        holder_key,
        holder,
        spender,
        relayer,
    }
}

impl PermitSetup {
    fn permit(&self, value: U256, deadline: u64) -> Permit {
        Permit {
            owner: self.holder,
            spender: self.spender,
            value,
            nonce: self.t.nonce(self.holder),
            deadline: U256::from(deadline),
        }
    }

    fn domain(&self) -> Eip712Domain {
        domain(self.t.seth, Chain::CHAIN_ID)
    }
}

#[test]
fn domain_separator_is_eip712_over_name_version_chain_and_address() {
    let t = Tokens::new();
    let separator = t
        .chain
        .view(t.seth, &SETH::DOMAIN_SEPARATORCall {})
        .unwrap();
    assert_eq!(separator, domain(t.seth, Chain::CHAIN_ID).separator());
    assert_ne!(separator, domain(t.seth, 1).separator());
}

#[test]
fn permit_with_a_real_signature_sets_the_allowance_and_bumps_the_nonce() {
    let mut p = permit_setup();
    let deadline = p.t.chain.timestamp() + 3600;
    let permit = p.permit(ether(5), deadline);
    assert_eq!(permit.nonce, U256::ZERO);
    let signature = sign(&p.holder_key, &permit, &p.domain());

    // Anyone may submit it: here a relayer, not the holder.
    let relayer = p.relayer;
    let receipt =
        p.t.seth(relayer, &permit_call(&permit, signature))
            .expect_success();
    assert_eq!(
        receipt.events_from::<SETH::Approval>(p.t.seth),
        vec![SETH::Approval {
            owner: p.holder,
            spender: p.spender,
            amount: ether(5)
        }]
    );
    assert_eq!(p.t.allowance(p.holder, p.spender), ether(5));
    assert_eq!(p.t.nonce(p.holder), U256::from(1));

    // The spender uses it; the holder (a funded EOA) still sends its own transactions.
    let (holder, spender) = (p.holder, p.spender);
    p.t.seth(
        spender,
        &SETH::transferFromCall {
            from: holder,
            to: spender,
            amount: ether(5),
        },
    )
    .expect_success();
    p.t.seth(
        holder,
        &SETH::transferCall {
            to: spender,
            amount: ether(2),
        },
    )
    .expect_success();
    assert_eq!(p.t.balance(spender), ether(7));

    // The next permit is signed with nonce 1.
    let next = p.permit(U256::MAX, deadline);
    assert_eq!(next.nonce, U256::from(1));
    let signature = sign(&p.holder_key, &next, &p.domain());
    p.t.seth(relayer, &permit_call(&next, signature))
        .expect_success();
    assert_eq!(p.t.allowance(holder, spender), U256::MAX);
    assert_eq!(p.t.nonce(holder), U256::from(2));
}

#[test]
fn permit_deadline_is_inclusive_and_then_expires() {
    let mut p = permit_setup();
    let now = p.t.chain.timestamp();
    let relayer = p.relayer;

    let late = p.permit(ether(1), now - 1);
    let signature = sign(&p.holder_key, &late, &p.domain());
    let refused = p.t.seth(relayer, &permit_call(&late, signature));
    assert_eq!(
        seth_error(&refused),
        SErr::PermitExpired(SETH::PermitExpired {
            deadline: U256::from(now - 1)
        })
    );

    let just_in_time = p.permit(ether(1), now);
    let signature = sign(&p.holder_key, &just_in_time, &p.domain());
    let call = permit_call(&just_in_time, signature);
    // Good in this block, expired in the next.
    let mut later = p.t.chain.clone();
    p.t.seth(relayer, &call).expect_success();
    later.next_block(B256::repeat_byte(1));
    let refused = later
        .send(relayer, p.t.seth, &call, U256::ZERO)
        .expect("valid transaction");
    assert_eq!(
        seth_error(&refused),
        SErr::PermitExpired(SETH::PermitExpired {
            deadline: U256::from(now)
        })
    );
    assert_eq!(p.t.nonce(p.holder), U256::from(1));
}

#[test]
fn a_permit_cannot_be_replayed() {
    let mut p = permit_setup();
    let permit = p.permit(ether(1), p.t.chain.timestamp() + 60);
    let call = permit_call(&permit, sign(&p.holder_key, &permit, &p.domain()));
    let relayer = p.relayer;
    p.t.seth(relayer, &call).expect_success();
    // The holder lowers the allowance; replaying the old permit must not restore it.
    let (holder, spender) = (p.holder, p.spender);
    p.t.seth(
        holder,
        &SETH::approveCall {
            spender,
            amount: U256::ZERO,
        },
    )
    .expect_success();
    let refused = p.t.seth(relayer, &call);
    assert_eq!(
        seth_error(&refused),
        SErr::InvalidSigner(SETH::InvalidSigner {})
    );
    assert_eq!(p.t.allowance(holder, spender), U256::ZERO);
    assert_eq!(p.t.nonce(holder), U256::from(1));
}

#[test]
fn a_permit_signed_by_another_key_or_for_other_terms_is_refused() {
    let mut p = permit_setup();
    let relayer = p.relayer;
    let deadline = p.t.chain.timestamp() + 60;
    let permit = p.permit(ether(1), deadline);

    let (mallory_key, _) = key("mallory");
    let forged = sign(&mallory_key, &permit, &p.domain());
    let refused = p.t.seth(relayer, &permit_call(&permit, forged));
    assert_eq!(
        seth_error(&refused),
        SErr::InvalidSigner(SETH::InvalidSigner {})
    );

    let genuine = sign(&p.holder_key, &permit, &p.domain());
    let tampered = [
        Permit {
            value: ether(2),
            ..permit.clone()
        },
        Permit {
            spender: relayer,
            ..permit.clone()
        },
        Permit {
            deadline: permit.deadline + U256::from(1),
            ..permit.clone()
        },
    ];
    for other in &tampered {
        let refused = p.t.seth(relayer, &permit_call(other, genuine));
        assert_eq!(
            seth_error(&refused),
            SErr::InvalidSigner(SETH::InvalidSigner {})
        );
    }

    // Signed for another chain (or another contract): void here.
    for other_domain in [domain(p.t.seth, 1), domain(p.t.positions, Chain::CHAIN_ID)] {
        let elsewhere = sign(&p.holder_key, &permit, &other_domain);
        let refused = p.t.seth(relayer, &permit_call(&permit, elsewhere));
        assert_eq!(
            seth_error(&refused),
            SErr::InvalidSigner(SETH::InvalidSigner {})
        );
    }

    // A signature that recovers to no key never stands for the zero address.
    let nobody = Permit {
        owner: Address::ZERO,
        ..permit.clone()
    };
    let refused =
        p.t.seth(relayer, &permit_call(&nobody, (27, B256::ZERO, B256::ZERO)));
    assert_eq!(
        seth_error(&refused),
        SErr::InvalidSigner(SETH::InvalidSigner {})
    );

    assert_eq!(p.t.nonce(p.holder), U256::ZERO);
    assert_eq!(p.t.allowance(p.holder, p.spender), U256::ZERO);
}

#[test]
fn malleable_and_malformed_signatures_are_refused() {
    let mut p = permit_setup();
    let relayer = p.relayer;
    let permit = p.permit(ether(1), p.t.chain.timestamp() + 60);
    let (v, r, s) = sign(&p.holder_key, &permit, &p.domain());

    // The high-s twin (n - s, other parity) is just as valid to ecrecover, so it must be
    // refused by the contract itself.
    let twin_s = B256::from(SECP256K1_N - U256::from_be_bytes(s.0));
    let twin_v = if v == 27 { 28 } else { 27 };
    let refused =
        p.t.seth(relayer, &permit_call(&permit, (twin_v, r, twin_s)));
    assert_eq!(
        seth_error(&refused),
        SErr::InvalidSignature(SETH::InvalidSignature {})
    );
    for bad_v in [0, 1, 26, 29, 255] {
        let refused = p.t.seth(relayer, &permit_call(&permit, (bad_v, r, s)));
        assert_eq!(
            seth_error(&refused),
            SErr::InvalidSignature(SETH::InvalidSignature {})
        );
    }
    // The wrong parity with a low s recovers another key.
    let refused = p.t.seth(relayer, &permit_call(&permit, (twin_v, r, s)));
    assert_eq!(
        seth_error(&refused),
        SErr::InvalidSigner(SETH::InvalidSigner {})
    );

    p.t.seth(relayer, &permit_call(&permit, (v, r, s)))
        .expect_success();
    assert_eq!(p.t.allowance(p.holder, p.spender), ether(1));
}

// ---- positions: ERC-165, metadata, mint -------------------------------------------------------

#[test]
fn positions_answer_erc165_for_erc165_erc721_and_metadata_only() {
    let t = Tokens::new();
    let supports = |id: [u8; 4]| {
        t.chain
            .view(
                t.positions,
                &Positions::supportsInterfaceCall {
                    interfaceId: FixedBytes(id),
                },
            )
            .unwrap()
    };
    let xor = |selectors: &[[u8; 4]]| {
        selectors
            .iter()
            .fold([0u8; 4], |acc, s| std::array::from_fn(|i| acc[i] ^ s[i]))
    };
    // The ids computed from the selectors, as ERC-165 defines them.
    let erc721 = xor(&[
        Positions::balanceOfCall::SELECTOR,
        Positions::ownerOfCall::SELECTOR,
        Positions::safeTransferFrom_0Call::SELECTOR,
        Positions::safeTransferFrom_1Call::SELECTOR,
        Positions::transferFromCall::SELECTOR,
        Positions::approveCall::SELECTOR,
        Positions::setApprovalForAllCall::SELECTOR,
        Positions::getApprovedCall::SELECTOR,
        Positions::isApprovedForAllCall::SELECTOR,
    ]);
    let metadata = xor(&[
        Positions::nameCall::SELECTOR,
        Positions::symbolCall::SELECTOR,
        Positions::tokenURICall::SELECTOR,
    ]);
    let erc165 = Positions::supportsInterfaceCall::SELECTOR;
    assert_eq!(erc721, [0x80, 0xac, 0x58, 0xcd]);
    assert_eq!(metadata, [0x5b, 0x5e, 0x13, 0x9f]);
    assert_eq!(erc165, [0x01, 0xff, 0xc9, 0xa7]);
    for id in [erc165, erc721, metadata] {
        assert!(supports(id), "{id:02x?}");
    }
    // Not ERC-721 Enumerable (0x780e9d63), not the invalid id, not ERC-20-ish selectors.
    for id in [
        [0x78, 0x0e, 0x9d, 0x63],
        [0xff; 4],
        [0; 4],
        SETH::transferCall::SELECTOR,
    ] {
        assert!(!supports(id), "{id:02x?}");
    }
}

#[test]
fn positions_metadata_and_vault_are_fixed_at_deployment() {
    let mut t = Tokens::new();
    assert_eq!(
        t.chain.view(t.positions, &Positions::nameCall {}).unwrap(),
        "lsv position"
    );
    assert_eq!(
        t.chain
            .view(t.positions, &Positions::symbolCall {})
            .unwrap(),
        "LSVP"
    );
    assert_eq!(
        t.chain.view(t.positions, &Positions::VAULTCall {}).unwrap(),
        t.vault
    );
    let alice = t.chain.account("alice");
    t.mint_position(alice);
    let uri = t
        .chain
        .view(t.positions, &Positions::tokenURICall { id: U256::from(1) })
        .unwrap();
    assert_eq!(uri, "");
    let missing = t
        .chain
        .view(t.positions, &Positions::tokenURICall { id: U256::from(2) })
        .unwrap_err();
    assert_eq!(
        missing.revert_error::<PErr>(),
        Some(PErr::TokenDoesNotExist(Positions::TokenDoesNotExist {
            id: U256::from(2)
        }))
    );
}

#[test]
fn only_the_vault_mints_positions_with_sequential_ids_from_one() {
    let mut t = Tokens::new();
    let (alice, bob) = (t.chain.account("alice"), t.chain.account("bob"));
    let refused = t.pos(alice, &Positions::mintCall { to: alice });
    assert_eq!(
        pos_error(&refused),
        PErr::OnlyVault(Positions::OnlyVault {})
    );

    let vault = t.vault;
    let receipt = t
        .pos(vault, &Positions::mintCall { to: alice })
        .expect_success();
    assert_eq!(
        receipt.decode_return::<Positions::mintCall>().unwrap(),
        U256::from(1)
    );
    assert_eq!(
        receipt.events_from::<Positions::Transfer>(t.positions),
        vec![Positions::Transfer {
            from: Address::ZERO,
            to: alice,
            id: U256::from(1)
        }]
    );
    assert_eq!(t.mint_position(bob), U256::from(2));
    assert_eq!(t.mint_position(alice), U256::from(3));
    assert_eq!(
        t.chain
            .view(t.positions, &Positions::totalMintedCall {})
            .unwrap(),
        U256::from(3)
    );
    assert_eq!(
        (t.owner_of(1), t.owner_of(2), t.owner_of(3)),
        (alice, bob, alice)
    );
    assert_eq!(
        (t.nft_balance(alice), t.nft_balance(bob)),
        (U256::from(2), U256::from(1))
    );

    for to in [Address::ZERO, t.positions] {
        let refused = t.pos(vault, &Positions::mintCall { to });
        assert_eq!(
            pos_error(&refused),
            PErr::InvalidReceiver(Positions::InvalidReceiver { receiver: to })
        );
    }
    // A plain mint: a contract that refuses tokens still gets its position.
    let refuser = t.receiver_probe(1);
    assert_eq!(t.mint_position(refuser), U256::from(4));

    for id in [0u64, 5] {
        let missing = t
            .chain
            .view(t.positions, &Positions::ownerOfCall { id: U256::from(id) })
            .unwrap_err();
        assert_eq!(
            missing.revert_error::<PErr>(),
            Some(PErr::TokenDoesNotExist(Positions::TokenDoesNotExist {
                id: U256::from(id)
            }))
        );
        let missing = t
            .chain
            .view(
                t.positions,
                &Positions::getApprovedCall { id: U256::from(id) },
            )
            .unwrap_err();
        assert_eq!(
            missing.revert_error::<PErr>(),
            Some(PErr::TokenDoesNotExist(Positions::TokenDoesNotExist {
                id: U256::from(id)
            }))
        );
        let refused = t.pos(
            alice,
            &Positions::approveCall {
                approved: bob,
                id: U256::from(id),
            },
        );
        assert_eq!(
            pos_error(&refused),
            PErr::TokenDoesNotExist(Positions::TokenDoesNotExist { id: U256::from(id) })
        );
    }
    let zero = t
        .chain
        .view(
            t.positions,
            &Positions::balanceOfCall {
                owner: Address::ZERO,
            },
        )
        .unwrap_err();
    assert_eq!(
        zero.revert_error::<PErr>(),
        Some(PErr::ZeroAddressQuery(Positions::ZeroAddressQuery {}))
    );
}

// ---- positions: transfers and approvals -------------------------------------------------------

#[test]
fn only_owner_approved_or_operator_moves_a_position() {
    let mut t = Tokens::new();
    let (alice, bob, carol, dave) = (
        t.chain.account("alice"),
        t.chain.account("bob"),
        t.chain.account("carol"),
        t.chain.account("dave"),
    );
    let id = t.mint_position(alice);
    let transfer = |from, to| Positions::transferFromCall { from, to, id };

    // A stranger, and the vault itself, may not move it.
    for caller in [bob, t.vault] {
        let refused = t.pos(caller, &transfer(alice, caller));
        assert_eq!(
            pos_error(&refused),
            PErr::NotAuthorized(Positions::NotAuthorized { caller, id })
        );
    }
    let refused = t.pos(bob, &Positions::approveCall { approved: bob, id });
    assert_eq!(
        pos_error(&refused),
        PErr::NotAuthorized(Positions::NotAuthorized { caller: bob, id })
    );
    // `from` must be the owner.
    let refused = t.pos(alice, &transfer(bob, carol));
    assert_eq!(
        pos_error(&refused),
        PErr::WrongFrom(Positions::WrongFrom {
            from: bob,
            owner: alice
        })
    );
    for to in [Address::ZERO, t.positions] {
        let refused = t.pos(alice, &transfer(alice, to));
        assert_eq!(
            pos_error(&refused),
            PErr::InvalidReceiver(Positions::InvalidReceiver { receiver: to })
        );
    }

    // Approved: bob moves it once, and the transfer clears the approval.
    let receipt = t
        .pos(alice, &Positions::approveCall { approved: bob, id })
        .expect_success();
    assert_eq!(
        receipt.events_from::<Positions::Approval>(t.positions),
        vec![Positions::Approval {
            owner: alice,
            approved: bob,
            id
        }]
    );
    assert_eq!(
        t.chain
            .view(t.positions, &Positions::getApprovedCall { id })
            .unwrap(),
        bob
    );
    let receipt = t.pos(bob, &transfer(alice, carol)).expect_success();
    assert_eq!(
        receipt.events_from::<Positions::Transfer>(t.positions),
        vec![Positions::Transfer {
            from: alice,
            to: carol,
            id
        }]
    );
    assert_eq!(t.owner_of(1), carol);
    assert_eq!(
        t.chain
            .view(t.positions, &Positions::getApprovedCall { id })
            .unwrap(),
        Address::ZERO
    );
    let refused = t.pos(bob, &transfer(carol, bob));
    assert_eq!(
        pos_error(&refused),
        PErr::NotAuthorized(Positions::NotAuthorized { caller: bob, id })
    );

    // Operator: dave moves and approves every token of carol's, until revoked.
    let receipt = t
        .pos(
            carol,
            &Positions::setApprovalForAllCall {
                operator: dave,
                approved: true,
            },
        )
        .expect_success();
    assert_eq!(
        receipt.events_from::<Positions::ApprovalForAll>(t.positions),
        vec![Positions::ApprovalForAll {
            owner: carol,
            operator: dave,
            approved: true
        }]
    );
    assert!(t
        .chain
        .view(
            t.positions,
            &Positions::isApprovedForAllCall {
                owner: carol,
                operator: dave
            }
        )
        .unwrap());
    t.pos(dave, &Positions::approveCall { approved: bob, id })
        .expect_success();
    t.pos(dave, &transfer(carol, dave)).expect_success();
    assert_eq!(t.owner_of(1), dave);
    // dave's operator rights were carol's: on dave's own token they no longer matter, and bob's
    // approval died with the transfer.
    let refused = t.pos(bob, &transfer(dave, bob));
    assert_eq!(
        pos_error(&refused),
        PErr::NotAuthorized(Positions::NotAuthorized { caller: bob, id })
    );
    t.pos(dave, &transfer(dave, carol)).expect_success();
    t.pos(
        carol,
        &Positions::setApprovalForAllCall {
            operator: dave,
            approved: false,
        },
    )
    .expect_success();
    let refused = t.pos(dave, &transfer(carol, dave));
    assert_eq!(
        pos_error(&refused),
        PErr::NotAuthorized(Positions::NotAuthorized { caller: dave, id })
    );
    assert_eq!(
        (
            t.nft_balance(alice),
            t.nft_balance(carol),
            t.nft_balance(dave)
        ),
        (U256::ZERO, U256::from(1), U256::ZERO)
    );
}

#[test]
fn safe_transfer_to_an_eoa_or_an_accepting_contract_succeeds() {
    let mut t = Tokens::new();
    let (alice, bob) = (t.chain.account("alice"), t.chain.account("bob"));
    let accepter = t.receiver_probe(0);
    let first = t.mint_position(alice);
    let second = t.mint_position(alice);

    t.pos(
        alice,
        &Positions::safeTransferFrom_0Call {
            from: alice,
            to: bob,
            id: first,
        },
    )
    .expect_success();
    assert_eq!(t.owner_of(1), bob);

    let receipt = t
        .pos(
            alice,
            &Positions::safeTransferFrom_1Call {
                from: alice,
                to: accepter,
                id: second,
                data: vec![0xde, 0xad].into(),
            },
        )
        .expect_success();
    assert_eq!(
        receipt.events_from::<ERC721ReceiverProbe::Received>(accepter),
        vec![ERC721ReceiverProbe::Received {
            operator: alice,
            from: alice,
            id: second,
            data: vec![0xde, 0xad].into()
        }]
    );
    assert_eq!(t.owner_of(2), accepter);

    // Through an approved operator: the receiver sees the operator and the previous owner.
    t.pos(
        bob,
        &Positions::approveCall {
            approved: alice,
            id: first,
        },
    )
    .expect_success();
    let receipt = t
        .pos(
            alice,
            &Positions::safeTransferFrom_0Call {
                from: bob,
                to: accepter,
                id: first,
            },
        )
        .expect_success();
    assert_eq!(
        receipt.events_from::<ERC721ReceiverProbe::Received>(accepter),
        vec![ERC721ReceiverProbe::Received {
            operator: alice,
            from: bob,
            id: first,
            data: Default::default()
        }]
    );
    assert_eq!(t.nft_balance(accepter), U256::from(2));
}

#[test]
fn safe_transfer_to_a_contract_that_does_not_accept_reverts() {
    let mut t = Tokens::new();
    let alice = t.chain.account("alice");
    let id = t.mint_position(alice);
    // Reverting with an error, reverting empty, a wrong selector, no return data, and a
    // contract with no such function at all (sETH).
    let mut refusers: Vec<Address> = (1..=4).map(|mode| t.receiver_probe(mode)).collect();
    refusers.push(t.seth);
    for to in refusers {
        for call in [
            Positions::safeTransferFrom_0Call {
                from: alice,
                to,
                id,
            }
            .abi_encode(),
            Positions::safeTransferFrom_1Call {
                from: alice,
                to,
                id,
                data: vec![1].into(),
            }
            .abi_encode(),
        ] {
            let refused = t
                .chain
                .transact(alice, t.positions, call, U256::ZERO)
                .expect("valid transaction");
            assert_eq!(
                pos_error(&refused),
                PErr::UnsafeReceiver(Positions::UnsafeReceiver { receiver: to })
            );
            assert_eq!(t.owner_of(1), alice);
        }
    }
    // The unchecked transfer does not ask: the refusing probe ends up holding it.
    let refuser = t.receiver_probe(1);
    t.pos(
        alice,
        &Positions::transferFromCall {
            from: alice,
            to: refuser,
            id,
        },
    )
    .expect_success();
    assert_eq!(t.owner_of(1), refuser);
}

// ---- gas --------------------------------------------------------------------------------------

#[test]
fn token_gas() {
    let mut p = permit_setup();
    let (holder, spender, relayer, vault) = (p.holder, p.spender, p.relayer, p.vault());
    let bob = p.t.chain.account("bob");
    for _ in 0..4 {
        p.t.mint_seth(bob, ether(31));
        p.t.seth(
            bob,
            &SETH::transferCall {
                to: holder,
                amount: ether(1),
            },
        )
        .expect_success();
        p.t.seth(
            bob,
            &SETH::approveCall {
                spender,
                amount: ether(2),
            },
        )
        .expect_success();
        p.t.seth(
            spender,
            &SETH::transferFromCall {
                from: bob,
                to: vault,
                amount: ether(1),
            },
        )
        .expect_success();
        let permit = p.permit(ether(1), p.t.chain.timestamp() + 60);
        let signature = sign(&p.holder_key, &permit, &p.domain());
        p.t.seth(relayer, &permit_call(&permit, signature))
            .expect_success();
        p.t.seth(
            vault,
            &SETH::burnFromCall {
                from: vault,
                amount: ether(1),
            },
        )
        .expect_success();
    }
    for _ in 0..4 {
        let id = p.t.mint_position(bob);
        p.t.pos(
            bob,
            &Positions::approveCall {
                approved: spender,
                id,
            },
        )
        .expect_success();
        p.t.pos(
            spender,
            &Positions::transferFromCall {
                from: bob,
                to: holder,
                id,
            },
        )
        .expect_success();
        p.t.pos(
            holder,
            &Positions::safeTransferFrom_0Call {
                from: holder,
                to: bob,
                id,
            },
        )
        .expect_success();
    }
    let report = p.t.chain.gas_report();
    report.print();
    let max = |label: &str| report.row(label).unwrap_or_else(|| panic!("{label}")).max;
    assert!(max("SETH.mint") < 75_000);
    assert!(max("SETH.transfer") < 60_000);
    assert!(max("SETH.transferFrom") < 70_000);
    assert!(max("SETH.permit") < 85_000);
    assert!(max("SETH.burnFrom") < 40_000);
    assert!(max("Positions.mint") < 120_000);
    assert!(max("Positions.transferFrom") < 70_000);
}

impl PermitSetup {
    fn vault(&self) -> Address {
        self.t.vault
    }
}

// ---- property: random sequences against a model ---------------------------------------------

/// One step on sETH; account indices pick from the actors, `Actor::Zero`/`Actor::Token` aim at
/// the addresses sETH refuses to credit.
#[derive(Clone, Debug)]
enum Op {
    Mint {
        to: usize,
        amount: u64,
    },
    Transfer {
        from: usize,
        to: usize,
        amount: u64,
    },
    Approve {
        owner: usize,
        spender: usize,
        amount: Option<u64>,
    },
    TransferFrom {
        spender: usize,
        from: usize,
        to: usize,
        amount: u64,
    },
    Burn {
        from: usize,
        amount: u64,
    },
}

/// Holders 0..2 are EOAs and 2 is the vault; 3 is the zero address and 4 the token itself, the
/// two addresses sETH refuses to credit. Few holders, so that spends often hit an allowance.
const HOLDERS: usize = 3;
const TARGETS: usize = 5;

fn op() -> impl Strategy<Value = Op> {
    // Mostly small amounts, so that transfers and allowance spends often succeed.
    let amount = || prop_oneof![3 => 1u64..=8, 1 => 0u64..=400];
    prop_oneof![
        2 => (0..TARGETS, 0u64..=400).prop_map(|(to, amount)| Op::Mint { to, amount }),
        3 => (0..HOLDERS, 0..TARGETS, amount()).prop_map(|(from, to, amount)| Op::Transfer {
            from,
            to,
            amount
        }),
        3 => (0..HOLDERS, 0..HOLDERS, proptest::option::weighted(0.8, 0u64..=400))
            .prop_map(|(owner, spender, amount)| Op::Approve { owner, spender, amount }),
        4 => (0..HOLDERS, 0..HOLDERS, 0..TARGETS, amount()).prop_map(
            |(spender, from, to, amount)| Op::TransferFrom {
                spender,
                from,
                to,
                amount
            }
        ),
        1 => (0..HOLDERS, amount()).prop_map(|(from, amount)| Op::Burn { from, amount }),
    ]
}

/// What sETH should hold: balances and allowances by address, and the supply.
#[derive(Default)]
struct Model {
    balances: HashMap<Address, U256>,
    allowances: HashMap<(Address, Address), U256>,
    supply: U256,
}

impl Model {
    fn balance(&self, a: Address) -> U256 {
        self.balances.get(&a).copied().unwrap_or_default()
    }

    fn allowance(&self, owner: Address, spender: Address) -> U256 {
        self.allowances
            .get(&(owner, spender))
            .copied()
            .unwrap_or_default()
    }

    /// Moves `amount`, or says why sETH must refuse.
    fn transfer(
        &mut self,
        from: Address,
        to: Address,
        amount: U256,
        token: Address,
    ) -> Result<(), SErr> {
        if to == Address::ZERO || to == token {
            return Err(SErr::InvalidReceiver(SETH::InvalidReceiver {
                receiver: to,
            }));
        }
        let balance = self.balance(from);
        if balance < amount {
            return Err(SErr::InsufficientBalance(SETH::InsufficientBalance {
                balance,
                needed: amount,
            }));
        }
        self.balances.insert(from, balance - amount);
        *self.balances.entry(to).or_default() += amount;
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_keep_balances_summing_to_supply_and_matching_a_model(
        ops in proptest::collection::vec(op(), 1..64)
    ) {
        let mut t = Tokens::new();
        let mut actors: Vec<Address> = (0..2).map(|i| t.chain.account(&format!("holder {i}"))).collect();
        actors.extend([t.vault, Address::ZERO, t.seth]);
        let mut model = Model::default();
        let token = t.seth;
        let wei = |n: u64| U256::from(n) * U256::from(1_000_000_000_000u64);

        for op in ops {
            let (sender, call, expected): (Address, Vec<u8>, Result<(), SErr>) = match op {
                Op::Mint { to, amount } => {
                    let (to, amount) = (actors[to], wei(amount));
                    let expected = if to == Address::ZERO || to == token {
                        Err(SErr::InvalidReceiver(SETH::InvalidReceiver { receiver: to }))
                    } else {
                        model.supply += amount;
                        *model.balances.entry(to).or_default() += amount;
                        Ok(())
                    };
                    (t.vault, SETH::mintCall { to, amount }.abi_encode(), expected)
                }
                Op::Transfer { from, to, amount } => {
                    let (from, to, amount) = (actors[from], actors[to], wei(amount));
                    let expected = model.transfer(from, to, amount, token);
                    (from, SETH::transferCall { to, amount }.abi_encode(), expected)
                }
                Op::Approve { owner, spender, amount } => {
                    let (owner, spender) = (actors[owner], actors[spender]);
                    let amount = amount.map_or(U256::MAX, wei);
                    model.allowances.insert((owner, spender), amount);
                    (owner, SETH::approveCall { spender, amount }.abi_encode(), Ok(()))
                }
                Op::TransferFrom { spender, from, to, amount } => {
                    let (spender, from, to, amount) = (actors[spender], actors[from], actors[to], wei(amount));
                    let allowed = model.allowance(from, spender);
                    let expected = if allowed < amount {
                        Err(SErr::InsufficientAllowance(SETH::InsufficientAllowance { allowance: allowed, needed: amount }))
                    } else {
                        let moved = model.transfer(from, to, amount, token);
                        if moved.is_ok() && allowed != U256::MAX {
                            model.allowances.insert((from, spender), allowed - amount);
                        }
                        moved
                    };
                    (spender, SETH::transferFromCall { from, to, amount }.abi_encode(), expected)
                }
                Op::Burn { from, amount } => {
                    let amount = wei(amount);
                    let from = actors[from];
                    let balance = model.balance(from);
                    let expected = if balance < amount {
                        Err(SErr::InsufficientBalance(SETH::InsufficientBalance { balance, needed: amount }))
                    } else {
                        model.balances.insert(from, balance - amount);
                        model.supply -= amount;
                        Ok(())
                    };
                    (t.vault, SETH::burnFromCall { from, amount }.abi_encode(), expected)
                }
            };
            let receipt = t.chain.transact(sender, token, call, U256::ZERO).expect("valid transaction");
            match expected {
                Ok(()) => prop_assert!(receipt.is_success(), "{receipt}"),
                Err(e) => prop_assert_eq!(receipt.revert_error::<SErr>(), Some(e)),
            }

            let mut sum = U256::ZERO;
            for &a in &actors {
                let balance = t.balance(a);
                prop_assert_eq!(balance, model.balance(a));
                sum += balance;
            }
            prop_assert_eq!(sum, model.supply);
            prop_assert_eq!(t.total_supply(), model.supply);
            for &owner in &actors[..HOLDERS] {
                for &spender in &actors[..HOLDERS] {
                    prop_assert_eq!(t.allowance(owner, spender), model.allowance(owner, spender));
                }
            }
        }
    }
}
