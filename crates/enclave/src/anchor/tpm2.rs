//! The `tpm2` anchor: three NV counters of a TPM 2.0 (session, reservation, retirement) (TPM 2.0 Library, Part 1 §37, "NV
//! Memory"; Part 3 §31.8 `TPM2_NV_Increment`).
//!
//! - **Monotonic.** A counter index (`TPM_NT_COUNTER`) can only be incremented, and even one
//!   deleted and defined again starts no lower than the highest value any counter on that TPM
//!   ever held (Part 1 §37.2.3). The host cannot rewind it.
//! - **Only P moves it.** Both indices take `TPMA_NV_AUTHWRITE | TPMA_NV_AUTHREAD` with an
//!   authorization value derived from the secret P seals ([`super::AnchorFile::derive`]); they
//!   are not owner-writable, and `TPMA_NV_NO_DA` keeps a host's wrong guesses from locking P out.
//! - **P verifies the answers.** Every read and increment runs in an HMAC session keyed by that
//!   value, with fresh nonces from P (Part 1 §19.6): the TPM's response carries an HMAC over the
//!   response parameters and P's nonce, which ESAPI checks. A host that answers in the TPM's
//!   place, replays an old answer, or redefines the index under its own authorization (the
//!   only way to "reset" it) produces an answer that fails that check, and P refuses to start
//!   or to reserve.
//!
//! Each call opens its own connection: the anchor is touched once per several epochs, and a
//! fresh context survives a restarted TPM daemon or resource manager.

use super::{AnchorCounters, AnchorError, Counter, Counters};
use std::str::FromStr;
use tss_esapi::attributes::{NvIndexAttributesBuilder, SessionAttributesBuilder};
use tss_esapi::constants::nv_index_type::NvIndexType;
use tss_esapi::constants::SessionType;
use tss_esapi::handles::{NvIndexHandle, NvIndexTpmHandle, TpmHandle};
use tss_esapi::interface_types::algorithm::HashingAlgorithm;
use tss_esapi::interface_types::resource_handles::{NvAuth, Provision};
use tss_esapi::interface_types::session_handles::AuthSession;
use tss_esapi::structures::{Auth, NvPublicBuilder, SymmetricDefinition};
use tss_esapi::tcti_ldr::TctiNameConf;
use tss_esapi::Context;
use zeroize::Zeroizing;

/// Where P finds the TPM by default: the kernel's resource manager.
pub const DEFAULT_TCTI: &str = "device:/dev/tpmrm0";

/// The default NV index of the session counter ("LS" in the owner range, TCG "Registry of
/// Reserved TPM 2.0 Handles and Localities" §2.2); the reservation counter is the next one.
pub const DEFAULT_NV_INDEX: u32 = 0x014c_5300;

const BACKEND: &str = "tpm2";

/// The counters on one TPM, reached through a TCTI (`device:/dev/tpmrm0`,
/// `swtpm:host=127.0.0.1,port=2321`).
pub struct Tpm2Counters {
    tcti: String,
    session_index: u32,
    reserved_index: u32,
    retired_index: Option<u32>,
    auth: Zeroizing<[u8; 32]>,
}

/// ESAPI's code for an answer whose response HMAC does not verify
/// (`TSS2_ESYS_RC_RSP_AUTH_FAILED`, tpm2-tss `tss2_common.h`: ESAPI layer 7, base code 27).
const RSP_AUTH_FAILED: u32 = 0x0007_001b;

fn tss(what: &str) -> impl Fn(tss_esapi::Error) -> AnchorError + '_ {
    move |e| {
        let hmac_failed = tss_esapi::Error::Tss2Error(
            tss_esapi::constants::response_code::Tss2ResponseCode::from(RSP_AUTH_FAILED),
        );
        let message = if e == hmac_failed {
            format!(
                "{what}: the answer failed its HMAC check (TSS2_ESYS_RC_RSP_AUTH_FAILED): it did \
                 not come from P's TPM counter, or was altered on the way"
            )
        } else {
            format!("{what}: {e} ({e:?})")
        };
        AnchorError::Backend {
            backend: BACKEND,
            message,
        }
    }
}

impl Tpm2Counters {
    /// The counters at `session_index`, `reserved_index` and `retired_index` (`None` for an
    /// anchor made before anchors could move: its retirement counter reads 0 and never moves),
    /// authorized by `auth`.
    pub fn new(
        tcti: &str,
        session_index: u32,
        reserved_index: u32,
        retired_index: Option<u32>,
        auth: Zeroizing<[u8; 32]>,
    ) -> Self {
        Self {
            tcti: tcti.to_owned(),
            session_index,
            reserved_index,
            retired_index,
            auth,
        }
    }

    fn indices(&self) -> impl Iterator<Item = u32> {
        [self.session_index, self.reserved_index]
            .into_iter()
            .chain(self.retired_index)
    }

    /// Makes the counters, or finds them made with this authorization by an earlier attempt
    /// that stopped half-way, and gives them their first value. Refuses an index that exists
    /// under another authorization or with other attributes (another program's, or the anchor
    /// of a P whose `anchor.json` is gone: reusing it would hide that P's reservations).
    pub fn provision(&self) -> Result<Counters, AnchorError> {
        let (mut ctx, session) = self.connect()?;
        for index in self.indices() {
            let handle = if is_defined(&mut ctx, index)? {
                self.open_index(&mut ctx, index)?
            } else {
                self.define(&mut ctx, session, index)?
            };
            let (public, _) = ctx
                .execute_without_session(|c| c.nv_read_public(handle))
                .map_err(tss("reading the NV index's public area"))?;
            let attributes = public.attributes();
            if attributes.index_type().ok() != Some(NvIndexType::Counter)
                || !attributes.auth_write()
                || !attributes.auth_read()
                || attributes.owner_write()
                || attributes.pp_write()
                || attributes.policy_write()
            {
                return Err(AnchorError::Backend {
                    backend: BACKEND,
                    message: format!(
                        "NV index {index:#010x} exists but is not an anchor counter (another \
                         program's); choose another index with --tpm2-nv-index"
                    ),
                });
            }
            if !attributes.written() {
                ctx.execute_with_session(Some(session), |c| {
                    c.nv_increment(NvAuth::NvIndex(handle), handle)
                })
                .map_err(|e| self.not_ours(index, e))?;
            } else {
                read_counter(&mut ctx, session, handle).map_err(|e| self.not_ours(index, e))?;
            }
        }
        drop(ctx);
        self.read()
    }

    fn not_ours(&self, index: u32, e: tss_esapi::Error) -> AnchorError {
        AnchorError::Backend {
            backend: BACKEND,
            message: format!(
                "NV index {index:#010x} exists but does not answer to this P's authorization \
                 ({e}): another program's, or the anchor of a P whose anchor.json is gone; \
                 choose another index with --tpm2-nv-index, and free this one (tpm2_nvundefine) \
                 only if no P's record depends on it"
            ),
        }
    }

    fn define(
        &self,
        ctx: &mut Context,
        session: AuthSession,
        index: u32,
    ) -> Result<NvIndexHandle, AnchorError> {
        let tpm_index = NvIndexTpmHandle::new(index).map_err(tss("NV index"))?;
        let attributes = NvIndexAttributesBuilder::new()
            .with_nv_index_type(NvIndexType::Counter)
            .with_auth_write(true)
            .with_auth_read(true)
            .with_no_da(true)
            .build()
            .map_err(tss("NV attributes"))?;
        let public = NvPublicBuilder::new()
            .with_nv_index(tpm_index)
            .with_index_name_algorithm(HashingAlgorithm::Sha256)
            .with_index_attributes(attributes)
            .with_data_area_size(8)
            .build()
            .map_err(tss("NV public area"))?;
        let auth = Auth::try_from(self.auth.to_vec()).map_err(tss("authorization value"))?;
        let handle = ctx
            .execute_with_session(Some(session), |c| {
                c.nv_define_space(Provision::Owner, Some(auth.clone()), public)
            })
            .map_err(tss(
                "defining the NV counter (TPM2_NV_DefineSpace, owner hierarchy)",
            ))?;
        ctx.tr_set_auth(handle.into(), auth)
            .map_err(tss("setting the authorization"))?;
        tracing::info!(
            index = format_args!("{index:#010x}"),
            "anchor: defined a TPM NV counter"
        );
        Ok(handle)
    }

    fn connect(&self) -> Result<(Context, AuthSession), AnchorError> {
        let tcti = TctiNameConf::from_str(&self.tcti).map_err(tss("TCTI"))?;
        let mut ctx = Context::new(tcti).map_err(tss("connecting to the TPM"))?;
        let session = ctx
            .start_auth_session(
                None,
                None,
                None,
                SessionType::Hmac,
                SymmetricDefinition::Null,
                HashingAlgorithm::Sha256,
            )
            .map_err(tss("starting an HMAC session"))?
            .ok_or(AnchorError::Backend {
                backend: BACKEND,
                message: "the TPM returned no session".into(),
            })?;
        let (attributes, mask) = SessionAttributesBuilder::new()
            .with_continue_session(true)
            .build();
        ctx.tr_sess_set_attributes(session, attributes, mask)
            .map_err(tss("session attributes"))?;
        Ok((ctx, session))
    }

    fn open_index(&self, ctx: &mut Context, index: u32) -> Result<NvIndexHandle, AnchorError> {
        let tpm_index = NvIndexTpmHandle::new(index).map_err(tss("NV index"))?;
        let handle = ctx
            .execute_without_session(|c| c.tr_from_tpm_public(TpmHandle::NvIndex(tpm_index)))
            .map_err(tss("finding the NV counter"))?;
        let auth = Auth::try_from(self.auth.to_vec()).map_err(tss("authorization value"))?;
        ctx.tr_set_auth(handle, auth)
            .map_err(tss("setting the authorization"))?;
        Ok(handle.into())
    }

    fn index(&self, counter: Counter) -> Result<u32, AnchorError> {
        match counter {
            Counter::Session => Ok(self.session_index),
            Counter::Reserved => Ok(self.reserved_index),
            Counter::Retired => self.retired_index.ok_or(AnchorError::Backend {
                backend: BACKEND,
                message: "this anchor was made before anchors could move: it has no \
                          retirement counter, so its record cannot move to another anchor"
                    .into(),
            }),
        }
    }
}

/// Whether an NV index is defined (`TPM2_GetCapability(TPM_CAP_HANDLES)` from it: asking
/// rather than failing to open it, which tpm2-tss would log as an error).
fn is_defined(ctx: &mut Context, index: u32) -> Result<bool, AnchorError> {
    use tss_esapi::constants::CapabilityType;
    use tss_esapi::structures::CapabilityData;
    let (data, _) = ctx
        .execute_without_session(|c| c.get_capability(CapabilityType::Handles, index, 1))
        .map_err(tss("listing NV indices (TPM2_GetCapability)"))?;
    Ok(match data {
        CapabilityData::Handles(list) => list.as_ref().iter().any(|h| u32::from(*h) == index),
        _ => false,
    })
}

fn read_counter(
    ctx: &mut Context,
    session: AuthSession,
    handle: NvIndexHandle,
) -> Result<u64, tss_esapi::Error> {
    let data = ctx.execute_with_session(Some(session), |c| {
        c.nv_read(NvAuth::NvIndex(handle), handle, 8, 0)
    })?;
    let bytes: [u8; 8] = data
        .as_slice()
        .try_into()
        .map_err(|_| tss_esapi::Error::WrapperError(tss_esapi::WrapperErrorKind::WrongParamSize))?;
    Ok(u64::from_be_bytes(bytes))
}

impl AnchorCounters for Tpm2Counters {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn read(&self) -> Result<Counters, AnchorError> {
        let (mut ctx, session) = self.connect()?;
        let mut value = |index| -> Result<u64, AnchorError> {
            let handle = self.open_index(&mut ctx, index)?;
            read_counter(&mut ctx, session, handle)
                .map_err(tss("reading the counter (TPM2_NV_Read)"))
        };
        Ok(Counters {
            session: value(self.session_index)?,
            reserved: value(self.reserved_index)?,
            retired: match self.retired_index {
                Some(index) => value(index)?,
                None => 0,
            },
        })
    }

    fn advance(&self, counter: Counter, from: u64, to: u64) -> Result<bool, AnchorError> {
        let (mut ctx, session) = self.connect()?;
        let handle = self.open_index(&mut ctx, self.index(counter)?)?;
        let read = |ctx: &mut Context| {
            read_counter(ctx, session, handle).map_err(tss("reading the counter (TPM2_NV_Read)"))
        };
        if read(&mut ctx)? != from {
            return Ok(false);
        }
        for _ in from..to {
            ctx.execute_with_session(Some(session), |c| {
                c.nv_increment(NvAuth::NvIndex(handle), handle)
            })
            .map_err(tss("incrementing the counter (TPM2_NV_Increment)"))?;
        }
        Ok(read(&mut ctx)? == to)
    }
}

/// A software TPM (`swtpm`, Debian's `swtpm` package) on loopback, for tests and devnets: P's
/// `tpm2` anchor runs against it unchanged. Stopped when dropped.
pub struct Swtpm {
    child: std::process::Child,
    port: u16,
}

impl Swtpm {
    /// Starts `swtpm` with its state in `state_dir` (kept across restarts of the same
    /// directory, as a TPM keeps its NV memory across reboots) on a free loopback port.
    pub fn start(state_dir: &std::path::Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(state_dir)?;
        let mut last = None;
        for _ in 0..8 {
            // The data port and, next to it, the control port swtpm also opens, drawn below
            // Linux's ephemeral range (32768 and up): there every closed client connection
            // leaves a port in TIME_WAIT, which swtpm (binding without SO_REUSEADDR) cannot
            // take, and each anchor operation is a connection.
            let draw = getrandom::u32().map_err(|e| std::io::Error::other(e.to_string()))?;
            let port = 20_000 + (draw % 12_000) as u16;
            let free = |p: u16| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
            if !free(port) || !free(port + 1) {
                continue;
            }
            let mut child = std::process::Command::new("swtpm")
                .arg("socket")
                .arg("--tpm2")
                .arg("--server")
                .arg(format!("type=tcp,port={port},bindaddr=127.0.0.1"))
                .arg("--ctrl")
                .arg(format!("type=tcp,port={},bindaddr=127.0.0.1", port + 1))
                .arg("--tpmstate")
                .arg(format!("dir={}", state_dir.display()))
                .arg("--flags")
                .arg("not-need-init,startup-clear")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()?;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            loop {
                if let Some(status) = child.try_wait()? {
                    let mut err = String::new();
                    if let Some(mut stderr) = child.stderr.take() {
                        use std::io::Read;
                        let _ = stderr.read_to_string(&mut err);
                    }
                    last = Some(std::io::Error::other(format!(
                        "swtpm exited ({status}): {err}"
                    )));
                    break;
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Ok(Self { child, port });
                }
                if std::time::Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    last = Some(std::io::Error::other("swtpm did not listen within 10 s"));
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("no free port for swtpm")))
    }

    /// The TCTI that reaches it (`swtpm:host=127.0.0.1,port=…`).
    pub fn tcti(&self) -> String {
        format!("swtpm:host=127.0.0.1,port={}", self.port)
    }

    /// Its data port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for Swtpm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
