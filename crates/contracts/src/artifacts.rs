//! The committed build artifacts and their bindings: the one place that reads
//! `contracts/artifacts/`.
//!
//! `contracts/build.mjs` writes one JSON file per contract, interface and library: ABI, creation
//! and runtime bytecode, the compiler version and settings. [`Artifact`] gives a deployable
//! contract's bytes to the harness; [`bindings`] holds the `sol!` types (calls, events, errors)
//! generated from the same files. CI recompiles the sources with the pinned solc and fails if the
//! files differ, so what runs here is what the sources say.
//!
//! Adding a contract: write it under `contracts/src` (or `contracts/test`), run
//! `node contracts/build.mjs`, then add a `sol!` line in [`bindings`], a static [`Artifact`], an
//! entry in [`ALL`] and its errors in [`describe_revert`].

use alloy_primitives::{hex, Bytes, Selector};
use alloy_sol_types::SolInterface;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// `sol!` bindings generated from the artifacts' ABIs: one module per contract, with a type per
/// function call (`<fn>Call`), event and custom error, and the `<Name>Calls`, `<Name>Errors` and
/// `<Name>Events` enums.
pub mod bindings {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        DepositContract,
        "../../contracts/artifacts/DepositContract.json"
    );
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        SystemContractsProbe,
        "../../contracts/artifacts/SystemContractsProbe.json"
    );
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        ValidatorProofsProbe,
        "../../contracts/artifacts/ValidatorProofsProbe.json"
    );
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        SETH,
        "../../contracts/artifacts/SETH.json"
    );
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        Positions,
        "../../contracts/artifacts/Positions.json"
    );
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        ERC721ReceiverProbe,
        "../../contracts/artifacts/ERC721ReceiverProbe.json"
    );
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        EthRefusingCaller,
        "../../contracts/artifacts/EthRefusingCaller.json"
    );
    /// The vault's ABI shares `ValidatorProofs.Anchor` with the probe's: its own module keeps
    /// the two generated `ValidatorProofs` modules apart (`vault::ValidatorProofs::Anchor`).
    pub mod vault {
        alloy_sol_types::sol!(
            #[sol(all_derives)]
            Vault,
            "../../contracts/artifacts/Vault.json"
        );
    }
    pub use vault::Vault;
    /// The withdrawal-proof probe's ABI also carries `ValidatorProofs.Anchor` and `.Proven`: its
    /// own module keeps its generated `ValidatorProofs` apart too
    /// (`withdrawal_proofs::WithdrawalProofs::Proven`).
    pub mod withdrawal_proofs {
        alloy_sol_types::sol!(
            #[sol(all_derives)]
            WithdrawalProofsProbe,
            "../../contracts/artifacts/WithdrawalProofsProbe.json"
        );
    }
    pub use withdrawal_proofs::WithdrawalProofsProbe;
    /// The vault's proof verifier (the same structs again, in a module of its own).
    pub mod proof_verifier {
        alloy_sol_types::sol!(
            #[sol(all_derives)]
            ProofVerifier,
            "../../contracts/artifacts/ProofVerifier.json"
        );
    }
    pub use proof_verifier::ProofVerifier;
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        DevAttestationVerifier,
        "../../contracts/artifacts/DevAttestationVerifier.json"
    );
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        DcapAttestationVerifier,
        "../../contracts/artifacts/DcapAttestationVerifier.json"
    );
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        X509Probe,
        "../../contracts/artifacts/X509Probe.json"
    );
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        IntelCollateralJsonProbe,
        "../../contracts/artifacts/IntelCollateralJsonProbe.json"
    );
}

/// A deployable contract as `contracts/build.mjs` wrote it. The JSON is compiled in
/// (`include_str!`) and parsed on first use.
#[derive(Debug)]
pub struct Artifact {
    name: &'static str,
    json: &'static str,
    parsed: OnceLock<Parsed>,
}

/// The fields of an artifact file the harness uses.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Parsed {
    contract_name: String,
    source_name: String,
    compiler: Compiler,
    bytecode: Bytes,
    deployed_bytecode: Bytes,
    /// Function signature -> selector (hex, no `0x`).
    method_identifiers: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct Compiler {
    version: String,
    settings: serde_json::Value,
}

impl Artifact {
    const fn new(name: &'static str, json: &'static str) -> Self {
        Self {
            name,
            json,
            parsed: OnceLock::new(),
        }
    }

    fn parsed(&self) -> &Parsed {
        self.parsed.get_or_init(|| {
            let parsed: Parsed = serde_json::from_str(self.json).unwrap_or_else(|e| {
                panic!("contracts/artifacts/{}.json is malformed: {e}", self.name)
            });
            assert_eq!(
                parsed.contract_name, self.name,
                "artifact file and contract name differ"
            );
            parsed
        })
    }

    /// The contract's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The source file, relative to `contracts/` (e.g. `src/DepositContract.sol`).
    pub fn source_name(&self) -> &str {
        &self.parsed().source_name
    }

    /// The solc version that built it, e.g. `0.8.37+commit.f401782d.Emscripten.clang`.
    pub fn compiler_version(&self) -> &str {
        &self.parsed().compiler.version
    }

    /// The compiler settings it was built with (evmVersion, optimizer, metadata).
    pub fn compiler_settings(&self) -> &serde_json::Value {
        &self.parsed().compiler.settings
    }

    /// Creation code, without constructor arguments.
    pub fn bytecode(&self) -> &Bytes {
        &self.parsed().bytecode
    }

    /// Runtime code as solc emitted it (immutables still zero).
    pub fn deployed_bytecode(&self) -> &Bytes {
        &self.parsed().deployed_bytecode
    }

    /// Creation code followed by the ABI-encoded constructor arguments.
    pub fn init_code(&self, constructor_args: &[u8]) -> Bytes {
        [self.bytecode().as_ref(), constructor_args].concat().into()
    }

    /// The name of the function with this selector (`deposit`), if the contract has one.
    pub fn function_name(&self, selector: Selector) -> Option<&str> {
        let wanted = hex::encode(selector);
        self.parsed()
            .method_identifiers
            .iter()
            .find(|(_, id)| **id == wanted)
            .map(|(signature, _)| signature.split('(').next().unwrap_or(signature))
    }
}

/// `src/DepositContract.sol`: the beacon-chain deposit contract (behaves like mainnet's).
pub static DEPOSIT_CONTRACT: Artifact = Artifact::new(
    "DepositContract",
    include_str!("../../../contracts/artifacts/DepositContract.json"),
);

/// `test/SystemContractsProbe.sol`: test-only, drives the EIP-4788 and EIP-7002 libraries.
pub static SYSTEM_CONTRACTS_PROBE: Artifact = Artifact::new(
    "SystemContractsProbe",
    include_str!("../../../contracts/artifacts/SystemContractsProbe.json"),
);

/// `test/ValidatorProofsProbe.sol`: test-only, drives the `ValidatorProofs` library (lsv
/// validator proofs against an EIP-4788 root, `crates/proofs/FORMAT.md`).
pub static VALIDATOR_PROOFS_PROBE: Artifact = Artifact::new(
    "ValidatorProofsProbe",
    include_str!("../../../contracts/artifacts/ValidatorProofsProbe.json"),
);

/// `src/ProofVerifier.sol`: `ValidatorProofs` and `WithdrawalProofs` for one chain and the
/// Electra/Fulu layout, the vault's `PROOF_VERIFIER`.
pub static PROOF_VERIFIER: Artifact = Artifact::new(
    "ProofVerifier",
    include_str!("../../../contracts/artifacts/ProofVerifier.json"),
);

/// `test/WithdrawalProofsProbe.sol`: test-only, drives the `WithdrawalProofs` library (lsv
/// withdrawal proofs against an EIP-4788 root, `crates/proofs/FORMAT.md`).
pub static WITHDRAWAL_PROOFS_PROBE: Artifact = Artifact::new(
    "WithdrawalProofsProbe",
    include_str!("../../../contracts/artifacts/WithdrawalProofsProbe.json"),
);

/// `src/SETH.sol`: sETH, the ERC-20 (with ERC-2612 permit) the vault mints and burns.
pub static SETH: Artifact = Artifact::new(
    "SETH",
    include_str!("../../../contracts/artifacts/SETH.json"),
);

/// `src/Positions.sol`: the ERC-721 positions the vault mints, one per joined validator.
pub static POSITIONS: Artifact = Artifact::new(
    "Positions",
    include_str!("../../../contracts/artifacts/Positions.json"),
);

/// `test/ERC721ReceiverProbe.sol`: test-only, answers `onERC721Received` as told at deployment.
pub static ERC721_RECEIVER_PROBE: Artifact = Artifact::new(
    "ERC721ReceiverProbe",
    include_str!("../../../contracts/artifacts/ERC721ReceiverProbe.json"),
);

/// `test/EthRefusingCaller.sol`: test-only, a contract caller that cannot receive ETH.
pub static ETH_REFUSING_CALLER: Artifact = Artifact::new(
    "EthRefusingCaller",
    include_str!("../../../contracts/artifacts/EthRefusingCaller.json"),
);

/// `src/Vault.sol`: the vault (join, queue); deploys its own sETH and positions.
pub static VAULT: Artifact = Artifact::new(
    "Vault",
    include_str!("../../../contracts/artifacts/Vault.json"),
);

/// `src/DevAttestationVerifier.sol`: the development attestation verifier (one ECDSA key; not
/// hardware-backed).
pub static DEV_ATTESTATION_VERIFIER: Artifact = Artifact::new(
    "DevAttestationVerifier",
    include_str!("../../../contracts/artifacts/DevAttestationVerifier.json"),
);

/// `src/DcapAttestationVerifier.sol`: the on-chain Intel SGX DCAP verifier (quote v3 and its
/// collateral, authenticated to Intel's root key; evidence from [`crate::dcap`]).
pub static DCAP_ATTESTATION_VERIFIER: Artifact = Artifact::new(
    "DcapAttestationVerifier",
    include_str!("../../../contracts/artifacts/DcapAttestationVerifier.json"),
);

/// `test/X509Probe.sol`: test-only, exposes the DCAP verifier's X.509 certificate and CRL reader.
pub static X509_PROBE: Artifact = Artifact::new(
    "X509Probe",
    include_str!("../../../contracts/artifacts/X509Probe.json"),
);

/// `test/IntelCollateralJsonProbe.sol`: test-only, exposes the DCAP verifier's reader of Intel's
/// TCB info and QE identity JSON (unreachable with unsigned JSON through the verifier).
pub static INTEL_COLLATERAL_JSON_PROBE: Artifact = Artifact::new(
    "IntelCollateralJsonProbe",
    include_str!("../../../contracts/artifacts/IntelCollateralJsonProbe.json"),
);

/// Every deployable artifact the crate knows.
pub static ALL: &[&Artifact] = &[
    &DEPOSIT_CONTRACT,
    &SYSTEM_CONTRACTS_PROBE,
    &VALIDATOR_PROOFS_PROBE,
    &WITHDRAWAL_PROOFS_PROBE,
    &PROOF_VERIFIER,
    &SETH,
    &POSITIONS,
    &ERC721_RECEIVER_PROBE,
    &ETH_REFUSING_CALLER,
    &VAULT,
    &DEV_ATTESTATION_VERIFIER,
    &DCAP_ATTESTATION_VERIFIER,
    &X509_PROBE,
    &INTEL_COLLATERAL_JSON_PROBE,
];

/// Renders revert data for a person: a custom error of any known contract with its arguments,
/// `Error(string)`, `Panic(uint256)`, or the raw bytes.
pub fn describe_revert(data: &[u8]) -> String {
    if let Ok(e) = bindings::DepositContract::DepositContractErrors::abi_decode(data) {
        return format!("{e:?}");
    }
    if let Ok(e) = bindings::SystemContractsProbe::SystemContractsProbeErrors::abi_decode(data) {
        return format!("{e:?}");
    }
    if let Ok(e) = bindings::ValidatorProofsProbe::ValidatorProofsProbeErrors::abi_decode(data) {
        return format!("{e:?}");
    }
    if let Ok(e) = bindings::WithdrawalProofsProbe::WithdrawalProofsProbeErrors::abi_decode(data) {
        return format!("{e:?}");
    }
    if let Ok(e) = bindings::ProofVerifier::ProofVerifierErrors::abi_decode(data) {
        return format!("{e:?}");
    }
    if let Ok(e) = bindings::SETH::SETHErrors::abi_decode(data) {
        return format!("{e:?}");
    }
    if let Ok(e) = bindings::Positions::PositionsErrors::abi_decode(data) {
        return format!("{e:?}");
    }
    if let Ok(e) = bindings::ERC721ReceiverProbe::ERC721ReceiverProbeErrors::abi_decode(data) {
        return format!("{e:?}");
    }
    if let Ok(e) = bindings::Vault::VaultErrors::abi_decode(data) {
        return format!("{e:?}");
    }
    if let Ok(e) = bindings::DevAttestationVerifier::DevAttestationVerifierErrors::abi_decode(data)
    {
        return format!("{e:?}");
    }
    if let Ok(e) =
        bindings::DcapAttestationVerifier::DcapAttestationVerifierErrors::abi_decode(data)
    {
        return format!("{e:?}");
    }
    if let Ok(e) = bindings::X509Probe::X509ProbeErrors::abi_decode(data) {
        return format!("{e:?}");
    }
    if let Ok(e) =
        bindings::IntelCollateralJsonProbe::IntelCollateralJsonProbeErrors::abi_decode(data)
    {
        return format!("{e:?}");
    }
    alloy_sol_types::decode_revert_reason(data)
        .unwrap_or_else(|| format!("0x{}", hex::encode(data)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_artifact_parses_and_names_its_functions() {
        for artifact in ALL {
            assert!(!artifact.bytecode().is_empty(), "{}", artifact.name());
            assert!(
                !artifact.deployed_bytecode().is_empty(),
                "{}",
                artifact.name()
            );
            assert_eq!(
                artifact.compiler_settings()["evmVersion"],
                "osaka",
                "{}",
                artifact.name()
            );
        }
        let deposit = alloy_primitives::FixedBytes([0x22, 0x89, 0x51, 0x18]);
        assert_eq!(DEPOSIT_CONTRACT.function_name(deposit), Some("deposit"));
    }
}
