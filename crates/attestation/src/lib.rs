//! Evidence that program P generated a validator key (DESIGN.md, "Attestation"), and its
//! verification.
//!
//! - [`binding`]: the 32 bytes every piece of evidence commits to, laid out as the vault does;
//! - [`evidence`]: the one evidence format (JSON, and the bytes a verifier contract takes);
//! - [`Attester`], the seam to the hardware, with three backends: [`dev`] (a software key,
//!   proving nothing about hardware), [`gramine`] (SGX DCAP quotes via Gramine) and [`tdx`]
//!   (TDX DCAP quotes via Linux's configfs-tsm, P inside a trust domain);
//! - [`dcap`]: DCAP quote verification (SGX and TDX) against Intel's root (`dcap-qvl`) and
//!   lsv's policy;
//! - [`multi`]: the evidence of a key held as shares on n devices;
//! - [`device_key`]: a device's registered key, whose signature is its evidence at each join
//!   once its hardware evidence has been verified one time (`DeviceRegistry`).

#![cfg_attr(test, allow(unused_crate_dependencies))]

pub mod attester;
pub mod binding;
pub mod dcap;
pub mod dev;
pub mod device_key;
pub mod evidence;
pub mod gramine;
pub mod multi;
pub mod tdx;

pub use attester::{AttestError, Attester};
pub use binding::{domain_tag, KeyGenerationClaim};
pub use dcap::{
    quote_platform, td_measurement, Collateral, DcapError, DcapVerifier, KeyGenerationPolicy,
    ReportBody, SgxPlatform, TcbStatus, ValidityWindow, VerifiedQuote,
};
pub use dev::{verify_dev_evidence, verify_dev_signature, DevAttester, DevVerifyError};
pub use device_key::{DeviceKey, DeviceRegistration, DeviceSignature};
pub use evidence::{Backend, Evidence, EvidenceFormatError};
pub use gramine::GramineDcapAttester;
pub use tdx::TdxDcapAttester;
