//! EIP-3076 slashing protection (to be written).
