// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title IERC165
/// @notice Standard interface detection (ERC-165).
interface IERC165 {
    /// @notice Whether this contract implements the interface `interfaceId` (ERC-165).
    /// @param interfaceId The XOR of the interface's function selectors.
    /// @return True if the interface is implemented.
    function supportsInterface(bytes4 interfaceId) external view returns (bool);
}
