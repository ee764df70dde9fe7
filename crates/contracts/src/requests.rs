//! The execution-layer requests of a block (EIP-7685), as the consensus layer receives them.

use crate::bindings::DepositContract::DepositEvent;
use alloy_eips::eip6110::DepositRequest;
use alloy_eips::eip7002::WithdrawalRequest;
use alloy_primitives::{Address, FixedBytes, Log, B256};
use alloy_sol_types::SolEvent;

/// The requests a finished block hands to the consensus layer (EIP-7685), in the order of the
/// block. Consolidation requests (EIP-7251) are not modelled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecutionRequests {
    /// The block these came from.
    pub block_number: u64,
    /// EIP-6110: one per `DepositEvent` log of the deposit contract, in log order.
    pub deposits: Vec<DepositRequest>,
    /// EIP-7002: what the end-of-block system call dequeued (at most 16).
    pub withdrawals: Vec<WithdrawalRequest>,
}

/// EIP-7002: the dequeue system call returns the requests packed, 76 bytes each, in the SSZ
/// encoding of the consensus layer's `WithdrawalRequest` (EIP-7685 request data):
/// `source_address (20) ‖ validator_pubkey (48) ‖ amount (uint64, little-endian, 8)`.
/// The amount goes in big-endian (the predeploy's calldata) and comes out little-endian.
pub const WITHDRAWAL_REQUEST_LENGTH: usize = 20 + 48 + 8;

/// Splits the output of the EIP-7002 dequeue system call into requests.
///
/// # Panics
/// If the length is not a multiple of [`WITHDRAWAL_REQUEST_LENGTH`]: the predeploy never returns
/// that, and a client would reject the block.
pub fn parse_withdrawal_requests(output: &[u8]) -> Vec<WithdrawalRequest> {
    assert!(
        output.len().is_multiple_of(WITHDRAWAL_REQUEST_LENGTH),
        "EIP-7002 dequeue returned {} bytes, not a multiple of {WITHDRAWAL_REQUEST_LENGTH}",
        output.len()
    );
    output
        .chunks_exact(WITHDRAWAL_REQUEST_LENGTH)
        .map(|r| WithdrawalRequest {
            source_address: Address::from_slice(&r[..20]),
            validator_pubkey: FixedBytes::from_slice(&r[20..68]),
            amount: u64::from_le_bytes(r[68..].try_into().expect("8 bytes")),
        })
        .collect()
}

/// EIP-6110: the deposit requests in a block's logs: every log of `deposit_contract` whose first
/// topic is the `DepositEvent` signature, in order. Amount and index are little-endian in the log.
///
/// # Panics
/// If such a log does not have the layout EIP-6110 requires (lengths 48, 32, 8, 96, 8): a client
/// would reject the block.
pub fn parse_deposit_requests<'a>(
    logs: impl IntoIterator<Item = &'a Log>,
    deposit_contract: Address,
) -> Vec<DepositRequest> {
    logs.into_iter()
        .filter(|log| log.address == deposit_contract)
        .filter(|log| log.topics().first() == Some(&DepositEvent::SIGNATURE_HASH))
        .map(|log| {
            let event = DepositEvent::decode_log_data(&log.data)
                .unwrap_or_else(|e| panic!("malformed DepositEvent log: {e}"));
            let le_u64 = |bytes: &[u8], what: &str| {
                u64::from_le_bytes(bytes.try_into().unwrap_or_else(|_| {
                    panic!("DepositEvent {what} is {} bytes, not 8", bytes.len())
                }))
            };
            assert_eq!(event.pubkey.len(), 48, "DepositEvent pubkey length");
            assert_eq!(event.signature.len(), 96, "DepositEvent signature length");
            DepositRequest {
                pubkey: FixedBytes::from_slice(&event.pubkey),
                withdrawal_credentials: B256::try_from(event.withdrawal_credentials.as_ref())
                    .expect("DepositEvent withdrawal_credentials is 32 bytes"),
                amount: le_u64(&event.amount, "amount"),
                signature: FixedBytes::from_slice(&event.signature),
                index: le_u64(&event.index, "index"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn withdrawal_requests_are_split_in_76_byte_records() {
        let mut packed = Vec::new();
        for i in 0..3u8 {
            packed.extend_from_slice(&[i; 20]);
            packed.extend_from_slice(&[0xa0 + i; 48]);
            packed.extend_from_slice(&(1_000_000_000u64 * u64::from(i)).to_le_bytes());
        }
        let requests = parse_withdrawal_requests(&packed);
        assert_eq!(requests.len(), 3);
        assert_eq!(requests[2].source_address, Address::repeat_byte(2));
        assert_eq!(requests[2].validator_pubkey, FixedBytes::repeat_byte(0xa2));
        assert_eq!(requests[2].amount, 2_000_000_000);
        assert!(parse_withdrawal_requests(&[]).is_empty());
    }
}
