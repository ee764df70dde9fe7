//! Reading an encoded proof front to back, as FORMAT.md lays both formats out: fixed-size
//! little-endian integers, 32-byte nodes, a `Fork`, and list branches (length, sibling count,
//! siblings). Shared by [`crate::proof`] and [`crate::withdrawal`], whose errors both take a
//! [`Malformed`] as their `Malformed` variant.

use alloy_primitives::B256;
use lsv_consensus::containers::Fork;
use lsv_consensus::{Epoch, Version};

use crate::proof::ListBranch;

/// Why bytes are not a proof: a short, fixed message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Malformed(pub &'static str);

/// A cursor over a proof's bytes.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    /// The next `n` bytes, or `truncated`.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or(Malformed("truncated"))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], Malformed> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Malformed> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u64_le(&mut self) -> Result<u64, Malformed> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    pub(crate) fn b256(&mut self) -> Result<B256, Malformed> {
        Ok(B256::from(self.array::<32>()?))
    }

    /// `N` consecutive nodes.
    pub(crate) fn nodes<const N: usize>(&mut self) -> Result<[B256; N], Malformed> {
        let mut nodes = [B256::ZERO; N];
        for n in &mut nodes {
            *n = self.b256()?;
        }
        Ok(nodes)
    }

    /// A `Fork` as FORMAT.md encodes it: previous version, current version, epoch (LE).
    pub(crate) fn fork(&mut self) -> Result<Fork, Malformed> {
        Ok(Fork {
            previous_version: Version(self.array()?),
            current_version: Version(self.array()?),
            epoch: Epoch::new(self.u64_le()?),
        })
    }

    /// A list branch: the list's length, a sibling count (at most `depth`, else `too_many`),
    /// the siblings.
    pub(crate) fn list_branch(
        &mut self,
        depth: usize,
        too_many: &'static str,
    ) -> Result<ListBranch, Malformed> {
        let length = self.u64_le()?;
        let count = usize::from(self.u8()?);
        if count > depth {
            return Err(Malformed(too_many));
        }
        let siblings = (0..count).map(|_| self.b256()).collect::<Result<_, _>>()?;
        Ok(ListBranch { length, siblings })
    }

    /// `trailing bytes` unless every byte was read.
    pub(crate) fn finish(self) -> Result<(), Malformed> {
        if self.at == self.bytes.len() {
            Ok(())
        } else {
            Err(Malformed("trailing bytes"))
        }
    }
}
