// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IERC721Receiver} from "../src/interfaces/IPositions.sol";

/// @title ERC721ReceiverProbe
/// @notice Test-only: a contract receiving ERC-721 tokens through `safeTransferFrom`, answering in
/// the way chosen at deployment, so the harness can check how `Positions` treats each answer.
contract ERC721ReceiverProbe is IERC721Receiver {
    /// @notice How `onERC721Received` answers.
    enum Mode {
        /// Returns the selector: the token is accepted.
        Accept,
        /// Reverts with `Refused()`.
        Revert,
        /// Reverts with no data.
        RevertEmpty,
        /// Returns a wrong 4-byte value.
        WrongSelector,
        /// Returns nothing at all.
        ReturnNothing
    }

    /// @notice `onERC721Received` accepted a token.
    event Received(address operator, address from, uint256 id, bytes data);

    /// @notice The probe was deployed to refuse tokens.
    error Refused();

    /// @notice How this probe answers, fixed at deployment.
    Mode public immutable MODE;

    /// @notice Deploys a probe answering in `mode`.
    /// @param mode How `onERC721Received` answers.
    constructor(Mode mode) {
        MODE = mode;
    }

    /// @inheritdoc IERC721Receiver
    function onERC721Received(address operator, address from, uint256 id, bytes calldata data)
        external
        override
        returns (bytes4)
    {
        Mode mode = MODE;
        if (mode == Mode.Revert) revert Refused();
        if (mode == Mode.RevertEmpty) {
            assembly ("memory-safe") {
                revert(0, 0)
            }
        }
        if (mode == Mode.WrongSelector) return 0x12345678;
        if (mode == Mode.ReturnNothing) {
            assembly ("memory-safe") {
                return(0, 0)
            }
        }
        emit Received(operator, from, id, data);
        return IERC721Receiver.onERC721Received.selector;
    }
}
