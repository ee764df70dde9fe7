//! **For tests only**: a stand-in for Intel's PKI, to make DCAP evidence the on-chain verifiers
//! accept with any report data, PPID or TCB a test needs, from real Intel evidence.
//!
//! Real Intel-signed quotes carry someone else's report data and platform, and Intel's signatures
//! cover every field a verifier's decision turns on, so a test cannot edit them and still reach
//! the checks behind those signatures. Here the verifier's own bytecode is deployed with a test
//! key in place of its Intel root key constant ([`deploy_with_root`]), and real evidence is
//! re-keyed and re-signed under that test root ([`TestPki::resign`]): the same certificates,
//! CRLs, JSON and quote, each with its key replaced and its signature made anew. Unedited, such
//! evidence is accepted exactly as the original is; edited ([`Unsigned`]), it shows what the
//! verifier does with the edit.
//!
//! The keys are derived from fixed labels ([`test_key`]): nothing here is secret, and nothing
//! signed here means anything to a verifier deployed with Intel's key. It lives in the library
//! (not in a test's `common` module) so that the suites of other crates (`lsv-attestation`'s
//! multi-device tests) can use it too.

use super::{DcapEvidence, DeviceKind};
use crate::artifacts::{Artifact, DCAP_ATTESTATION_VERIFIER, DCAP_TDX_ATTESTATION_VERIFIER};
use crate::bindings::DcapAttestationVerifier;
use crate::{Address, Chain, TxRequest, U256};
use alloy_sol_types::SolValue;
use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::ecdsa::{Signature, SigningKey};
use sha2::{Digest, Sha256};

/// A root in place of Intel's, and a key for each signer under it.
pub struct TestPki {
    /// Stands for the Intel SGX Root CA key.
    pub root: SigningKey,
    /// Stands for the Intel SGX PCK Platform (or Processor) CA key.
    pub pck_ca: SigningKey,
    /// Stands for the platform's PCK key (signs the QE report).
    pub pck: SigningKey,
    /// Stands for the Intel SGX TCB Signing key (signs the TCB info and QE identity).
    pub tcb_signing: SigningKey,
    /// Stands for the quoting enclave's attestation key (signs the quote).
    pub attestation: SigningKey,
}

impl Default for TestPki {
    fn default() -> Self {
        Self::new()
    }
}

/// Where a quote's signed pieces are (the SGX v3 and TDX v4 layouts differ).
#[derive(Clone, Copy, Debug)]
pub struct QuoteLayout {
    /// Header ‖ report body: the bytes the attestation key signs; the u32 signature data length
    /// follows, then the quote signature (64) and the attestation key (64).
    pub signed_len: usize,
    /// The QE report (384), followed by its signature (64) and the QE authentication data (u16
    /// length + data).
    pub qe_report: usize,
}

impl QuoteLayout {
    /// An SGX quote v3 (Intel SGX ECDSA Quote Library API, Appendix A): header 48, ISV enclave
    /// report 384, the signature data length, ISV signature 64, attestation key 64, QE report.
    pub const SGX_V3: Self = Self {
        signed_len: 432,
        qe_report: 564,
    };
    /// A TDX quote v4 (Intel TDX DCAP Quoting Library API, Appendix A.3): header 48, TD report
    /// 584, the signature data length, quote signature 64, attestation key 64, certification
    /// data header (type 6) 6, QE report.
    pub const TDX_V4: Self = Self {
        signed_len: 632,
        qe_report: 770,
    };

    /// The layout of a quote of `kind`.
    pub const fn of(kind: DeviceKind) -> Self {
        match kind {
            DeviceKind::Sgx => Self::SGX_V3,
            DeviceKind::Tdx => Self::TDX_V4,
        }
    }

    /// The report data (64 bytes): the last field of both report bodies (SGX `REPORTDATA` at
    /// body offset 320, TDX `REPORTDATA` at 520), so it ends the signed part.
    pub const fn report_data(&self) -> usize {
        self.signed_len - 64
    }
    /// The quote signature (64 bytes `r ‖ s`).
    pub const fn quote_signature(&self) -> usize {
        self.signed_len + 4
    }
    /// The attestation key (64 bytes `x ‖ y`).
    pub const fn attestation_key(&self) -> usize {
        self.signed_len + 4 + 64
    }
    /// The QE report's signature (64 bytes `r ‖ s`).
    pub const fn qe_report_signature(&self) -> usize {
        self.qe_report + 384
    }
    /// The QE authentication data's u16 length; the data follows it.
    pub const fn qe_auth(&self) -> usize {
        self.qe_report + 384 + 64
    }
}

/// The pieces of real evidence that the edits under the test root change, before re-signing;
/// the rest (the PCK CA, both CRLs, the TCB signing certificate) is taken from `base` as it is.
#[derive(Clone)]
pub struct Unsigned {
    /// The quote: its signatures and attestation key are replaced by [`TestPki::resign`].
    pub quote: Vec<u8>,
    /// The PCK certificate (DER): re-keyed and re-signed.
    pub pck_cert: Vec<u8>,
    /// The TCB info JSON text: re-signed.
    pub tcb_info: String,
    /// The QE identity JSON text: re-signed.
    pub qe_identity: String,
}

impl Unsigned {
    /// The editable pieces of `ev`.
    ///
    /// # Panics
    /// If the TCB info or the QE identity is not UTF-8 (Intel's JSON is).
    pub fn of(ev: &DcapEvidence) -> Self {
        Self {
            quote: ev.quote.to_vec(),
            pck_cert: ev.pckCert.to_vec(),
            tcb_info: String::from_utf8(ev.tcbInfo.to_vec()).expect("Intel's JSON is UTF-8"),
            qe_identity: String::from_utf8(ev.qeIdentity.to_vec()).expect("Intel's JSON is UTF-8"),
        }
    }

    /// Sets the quote's report data (at `layout`'s offset) to `binding ‖ 32 zero bytes`: lsv's
    /// layout, what the verifiers accept for `binding`.
    pub fn set_binding(&mut self, layout: QuoteLayout, binding: &[u8; 32]) {
        let at = layout.report_data();
        self.quote[at..at + 32].copy_from_slice(binding);
        self.quote[at + 32..at + 64].fill(0);
    }

    /// Sets the PCK certificate's PPID ([`ppid_offset`]).
    pub fn set_ppid(&mut self, ppid: &[u8; 16]) {
        let at = ppid_offset(&self.pck_cert);
        self.pck_cert[at..at + 16].copy_from_slice(ppid);
    }
}

/// A P-256 key derived from `label` (its SHA-256 as the scalar).
///
/// # Panics
/// If the hash is not a valid scalar (zero or above the order: never for a real label).
pub fn test_key(label: &str) -> SigningKey {
    SigningKey::from_slice(&Sha256::digest(label.as_bytes())).expect("a valid scalar")
}

/// A public key as `x ‖ y`.
pub fn point(key: &SigningKey) -> [u8; 64] {
    let p = key.verifying_key().to_encoded_point(false);
    p.as_bytes()[1..]
        .try_into()
        .expect("an uncompressed point is 65 bytes")
}

/// `r ‖ s` of `key`'s signature over SHA-256(`message`).
///
/// # Panics
/// Never for a 32-byte prehash.
pub fn sign_rs(key: &SigningKey, message: &[u8]) -> Vec<u8> {
    let signature: Signature = key
        .sign_prehash(&Sha256::digest(message))
        .expect("a 32-byte prehash signs");
    signature.to_bytes().to_vec()
}

/// (header length, content length) of the DER element at `at`.
pub fn tlv(der: &[u8], at: usize) -> (usize, usize) {
    let first = der[at + 1];
    if first < 0x80 {
        return (2, usize::from(first));
    }
    let n = usize::from(first & 0x7f);
    let len = der[at + 2..at + 2 + n]
        .iter()
        .fold(0, |a, &b| (a << 8) | usize::from(b));
    (2 + n, len)
}

/// A DER header, the length in its shortest form.
pub fn der_header(tag: u8, len: usize) -> Vec<u8> {
    if len < 0x80 {
        // Below 0x80: one byte.
        return vec![tag, len as u8];
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    // At most 8 length bytes (a usize).
    [&[tag, 0x80 | (bytes.len() - skip) as u8], &bytes[skip..]].concat()
}

/// A certificate or CRL (SEQUENCE { tbs, signatureAlgorithm, signatureValue }) with its tbs
/// signed anew by `signer` (ECDSA-SHA256, DER in the BIT STRING).
///
/// # Panics
/// If `der` is not such a SEQUENCE.
pub fn resigned(der: &[u8], signer: &SigningKey) -> Vec<u8> {
    let (h, _) = tlv(der, 0);
    let (th, tl) = tlv(der, h);
    let tbs = &der[h..h + th + tl];
    let (ah, al) = tlv(der, h + th + tl);
    let algorithm = &der[h + th + tl..h + th + tl + ah + al];
    let signature: Signature = signer
        .sign_prehash(&Sha256::digest(tbs))
        .expect("a 32-byte prehash signs");
    let signature = signature.to_der();
    let bits = [
        der_header(0x03, signature.as_bytes().len() + 1),
        vec![0],
        signature.as_bytes().to_vec(),
    ]
    .concat();
    let body = [tbs, algorithm, &bits].concat();
    [der_header(0x30, body.len()), body].concat()
}

/// `bytes` with `at..at + new.len()` overwritten by `new`.
pub fn spliced(bytes: &[u8], at: usize, new: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at..at + new.len()].copy_from_slice(new);
    out
}

/// The offset of the first occurrence of `needle` in `hay`.
///
/// # Panics
/// If there is none.
pub fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("pattern present")
}

/// The first byte of the uncompressed P-256 point in a DER certificate's SubjectPublicKeyInfo.
pub fn key_offset(der: &[u8]) -> usize {
    find(der, &[0x03, 0x42, 0x00, 0x04]) + 4
}

/// The first byte of a PCK certificate's PPID: the value of the SGX extension's entry
/// 1.2.840.113741.1.13.1.1, an OCTET STRING of 16 bytes ("Intel SGX PCK Certificate and CRL
/// Profile Specification" §1.5).
pub fn ppid_offset(der: &[u8]) -> usize {
    find(
        der,
        &[
            0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01, 0x01, 0x04, 0x10,
        ],
    ) + 14
}

/// A certificate with its P-256 key replaced by `key`'s (same length, same layout).
pub fn rekeyed(der: &[u8], key: &SigningKey) -> Vec<u8> {
    spliced(der, key_offset(der), &point(key))
}

/// `bytes` with every occurrence of `from` replaced by `to`, and how many there were.
pub fn replace_all(bytes: &mut [u8], from: &[u8; 32], to: &[u8]) -> usize {
    let mut count = 0;
    let mut at = 0;
    while let Some(i) = bytes[at..].windows(32).position(|w| w == from) {
        bytes[at + i..at + i + 32].copy_from_slice(to);
        count += 1;
        at += i + 32;
    }
    count
}

impl TestPki {
    /// The test root and signers, each key derived from its fixed label.
    pub fn new() -> Self {
        Self {
            root: test_key("test root"),
            pck_ca: test_key("test PCK CA"),
            pck: test_key("test PCK"),
            tcb_signing: test_key("test TCB signing"),
            attestation: test_key("test attestation key"),
        }
    }

    /// `u` and the rest of `base`, re-keyed and re-signed under the test root: the PCK CA, PCK
    /// and TCB signing certificates carry the test keys, every certificate and CRL is signed by
    /// its test issuer, the JSON by the test TCB signing key; in the quote the attestation key
    /// is the test one, the QE report binds it and is signed by the test PCK key, and the
    /// header and report body are signed by the test attestation key.
    pub fn resign(&self, u: &Unsigned, layout: QuoteLayout, base: &DcapEvidence) -> DcapEvidence {
        let mut q = u.quote.clone();
        let key = layout.attestation_key();
        q[key..key + 64].copy_from_slice(&point(&self.attestation));
        let auth = layout.qe_auth();
        let auth_len = usize::from(u16::from_le_bytes([q[auth], q[auth + 1]]));
        let bound = Sha256::digest([&q[key..key + 64], &q[auth + 2..auth + 2 + auth_len]].concat());
        let report_data = layout.qe_report + 320;
        q[report_data..report_data + 32].copy_from_slice(&bound);
        q[report_data + 32..report_data + 64].fill(0);
        let qe_signature = sign_rs(
            &self.pck,
            &q[layout.qe_report..layout.qe_report_signature()],
        );
        let at = layout.qe_report_signature();
        q[at..at + 64].copy_from_slice(&qe_signature);
        let quote_signature = sign_rs(&self.attestation, &q[..layout.signed_len]);
        let at = layout.quote_signature();
        q[at..at + 64].copy_from_slice(&quote_signature);
        DcapEvidence {
            quote: q.into(),
            pckCert: resigned(&rekeyed(&u.pck_cert, &self.pck), &self.pck_ca).into(),
            pckCaCert: resigned(&rekeyed(&base.pckCaCert, &self.pck_ca), &self.root).into(),
            pckCrl: resigned(&base.pckCrl, &self.pck_ca).into(),
            rootCaCrl: resigned(&base.rootCaCrl, &self.root).into(),
            tcbSigningCert: resigned(
                &rekeyed(&base.tcbSigningCert, &self.tcb_signing),
                &self.root,
            )
            .into(),
            tcbInfo: u.tcb_info.clone().into_bytes().into(),
            tcbInfoSignature: sign_rs(&self.tcb_signing, u.tcb_info.as_bytes()).into(),
            qeIdentity: u.qe_identity.clone().into_bytes().into(),
            qeIdentitySignature: sign_rs(&self.tcb_signing, u.qe_identity.as_bytes()).into(),
        }
    }

    /// `base` (real evidence) as a device of a multi-device key would present it under the
    /// test root: report data `binding ‖ 0^32` and, if given, the PCK certificate's PPID set to
    /// `ppid`, re-signed ([`TestPki::resign`]). The quote's kind gives its layout.
    ///
    /// # Panics
    /// If `base`'s quote is neither an SGX v3 nor a TDX v4 quote.
    pub fn device_evidence(
        &self,
        base: &DcapEvidence,
        binding: &[u8; 32],
        ppid: Option<&[u8; 16]>,
    ) -> DcapEvidence {
        let layout =
            QuoteLayout::of(DeviceKind::of_quote(&base.quote).expect("an SGX or TDX quote"));
        let mut u = Unsigned::of(base);
        u.set_binding(layout, binding);
        if let Some(ppid) = ppid {
            u.set_ppid(ppid);
        }
        self.resign(&u, layout, base)
    }
}

/// A `DcapAttestationVerifier` under `root` for the enclave of `quote` (an SGX quote v3): its
/// MRENCLAVE, any ISVSVN, the TCB statuses `accepted` (bit `1 << status`), any TCB evaluation.
///
/// # Panics
/// If `quote` is not an SGX quote v3, or a deployment fails.
pub fn deploy_sgx_verifier_for(
    chain: &mut Chain,
    root: &SigningKey,
    quote: &[u8],
    accepted: u64,
) -> Address {
    let report = super::enclave_report(quote).expect("an SGX quote v3");
    let args = (report.mr_enclave, 0u16, U256::from(accepted), U256::ZERO).abi_encode_params();
    deploy_with_root(chain, &DCAP_ATTESTATION_VERIFIER, &args, root)
}

/// A `DcapTdxAttestationVerifier` under `root` for the TD of `quote` (a TDX quote v4): its
/// measurement ([`super::TdReport::measurement`]), the TCB statuses `accepted`, any TCB
/// evaluation.
///
/// # Panics
/// If `quote` is not a TDX quote v4, or a deployment fails.
pub fn deploy_tdx_verifier_for(
    chain: &mut Chain,
    root: &SigningKey,
    quote: &[u8],
    accepted: u64,
) -> Address {
    let measurement = super::td_report(quote)
        .expect("a TDX quote v4")
        .measurement();
    let args = (measurement, U256::from(accepted), U256::ZERO).abi_encode_params();
    deploy_with_root(chain, &DCAP_TDX_ATTESTATION_VERIFIER, &args, root)
}

/// A DCAP verifier (`artifact`, constructor arguments `args`) deployed with `root`'s key in
/// place of Intel's root key constant (each 32-byte coordinate replaced wherever the init code
/// holds it). Both verifiers share the constant's getters (`DcapQuoteVerifier`).
///
/// # Panics
/// If a deployment fails or the init code does not hold Intel's key.
pub fn deploy_with_root(
    chain: &mut Chain,
    artifact: &'static Artifact,
    args: &[u8],
    root: &SigningKey,
) -> Address {
    let intel = chain.deploy(artifact, args).expect("the verifier deploys");
    let x = chain
        .view(intel, &DcapAttestationVerifier::INTEL_ROOT_KEY_XCall {})
        .expect("a DCAP verifier");
    let y = chain
        .view(intel, &DcapAttestationVerifier::INTEL_ROOT_KEY_YCall {})
        .expect("a DCAP verifier");
    let mut code = artifact.init_code(args).to_vec();
    let test = point(root);
    assert!(replace_all(&mut code, &x.to_be_bytes::<32>(), &test[..32]) >= 1);
    assert!(replace_all(&mut code, &y.to_be_bytes::<32>(), &test[32..]) >= 1);
    let deployer = chain.deployer();
    let receipt = chain
        .submit(TxRequest::new(deployer, None, code, U256::ZERO))
        .expect("the deployment is included")
        .expect_success();
    let verifier = receipt.contract_address.expect("a creation");
    chain.register_contract(verifier, artifact);
    let key = chain
        .view(verifier, &DcapAttestationVerifier::INTEL_ROOT_KEY_XCall {})
        .expect("a DCAP verifier");
    assert_eq!(key.to_be_bytes::<32>(), test[..32]);
    verifier
}
