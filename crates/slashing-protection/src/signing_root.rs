//! The signing root as slashing protection sees it.

use lsv_consensus::B256;

/// A signing root in which the all-zero value means "unknown".
///
/// EIP-3076 makes `signing_root` optional and some producers write zeroes for "absent", so a zero
/// root can never prove that two messages are identical. Equality therefore holds only between
/// two equal, non-zero roots: `SigningRoot::NULL != SigningRoot::NULL`. That makes the relation
/// non-reflexive, which is why the type is `PartialEq` but deliberately not `Eq` (nor `Hash`).
#[derive(Clone, Copy, Debug, Default)]
pub struct SigningRoot(B256);

impl SigningRoot {
    /// The unknown root.
    pub const NULL: Self = Self(B256::ZERO);

    /// `root` as slashing protection compares it (zero is [`SigningRoot::NULL`]).
    pub const fn new(root: B256) -> Self {
        Self(root)
    }

    /// Whether this is the unknown (zero) root.
    pub fn is_null(&self) -> bool {
        self.0 == B256::ZERO
    }

    /// The root, or `None` if it is the unknown root.
    pub fn to_option(self) -> Option<B256> {
        (!self.is_null()).then_some(self.0)
    }

    /// The raw 32 bytes (zero for the unknown root).
    pub const fn as_b256(&self) -> B256 {
        self.0
    }
}

impl From<B256> for SigningRoot {
    fn from(root: B256) -> Self {
        Self(root)
    }
}

impl From<Option<B256>> for SigningRoot {
    fn from(root: Option<B256>) -> Self {
        Self(root.unwrap_or(B256::ZERO))
    }
}

impl PartialEq for SigningRoot {
    fn eq(&self, other: &Self) -> bool {
        !self.is_null() && self.0 == other.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_root_equals_nothing_not_even_itself() {
        let a = SigningRoot::from(B256::repeat_byte(1));
        assert_eq!(a, SigningRoot::from(B256::repeat_byte(1)));
        assert_ne!(a, SigningRoot::from(B256::repeat_byte(2)));
        assert_ne!(SigningRoot::NULL, SigningRoot::NULL);
        assert_ne!(SigningRoot::NULL, a);
        assert_eq!(SigningRoot::NULL.to_option(), None);
        assert_eq!(SigningRoot::from(None).to_option(), None);
        assert_eq!(a.to_option(), Some(B256::repeat_byte(1)));
    }
}
