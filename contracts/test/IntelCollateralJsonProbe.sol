// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IntelCollateralJson, TcbStatus} from "../src/lib/IntelCollateralJson.sol";

/// @title IntelCollateralJsonProbe
/// @notice TEST ONLY: exposes the `IntelCollateralJson` library (the DCAP verifier's reader of
/// Intel's TCB info and QE identity JSON) so tests can feed it JSON that Intel did not sign. The
/// verifier checks Intel's signature before reading, so edited JSON never reaches the reader
/// there and its errors (`JsonMalformed`, `JsonFieldMissing`, `TcbStatusUnknown`, ...) are only
/// reachable through this probe.
contract IntelCollateralJsonProbe {
    /// @notice `IntelCollateralJson.parseTcbInfo`: an SGX TCB info v3, evaluated for a platform.
    /// @dev The struct's members are returned one by one: an ABI struct holding the file-level
    /// `TcbStatus` enum does not bind in Rust (`sol!` declares the enum in the probe's interface
    /// and the struct in the library's, where the enum's name does not resolve).
    /// @param json The `tcbInfo` object's text.
    /// @param compSvn The platform's 16 SGX TCB component SVNs (PCK certificate).
    /// @param pceSvn The platform's PCESVN (PCK certificate).
    /// @return issueDate Unix seconds.
    /// @return nextUpdate Unix seconds.
    /// @return fmspc The platform model.
    /// @return pceId The PCE.
    /// @return tcbEvaluationDataNumber The TCB evaluation the collateral comes from.
    /// @return levelFound Whether a TCB level matched the platform.
    /// @return status That level's status (`UpToDate` if none).
    function tcbInfo(bytes memory json, uint256[16] memory compSvn, uint256 pceSvn)
        external
        pure
        returns (
            uint256 issueDate,
            uint256 nextUpdate,
            bytes6 fmspc,
            bytes2 pceId,
            uint256 tcbEvaluationDataNumber,
            bool levelFound,
            TcbStatus status
        )
    {
        IntelCollateralJson.TcbInfo memory t = IntelCollateralJson.parseTcbInfo(json, compSvn, pceSvn);
        return (t.issueDate, t.nextUpdate, t.fmspc, t.pceId, t.tcbEvaluationDataNumber, t.levelFound, t.status);
    }

    /// @notice `IntelCollateralJson.parseQeIdentity`: a QE identity v2, evaluated for a QE.
    /// @dev Members returned one by one, as for `tcbInfo`.
    /// @param json The `enclaveIdentity` object's text.
    /// @param qeIsvSvn The QE report's ISVSVN.
    /// @return issueDate Unix seconds.
    /// @return nextUpdate Unix seconds.
    /// @return tcbEvaluationDataNumber The TCB evaluation the collateral comes from.
    /// @return miscselect The QE's MISCSELECT.
    /// @return miscselectMask The bits of MISCSELECT compared.
    /// @return attributes The QE's ATTRIBUTES.
    /// @return attributesMask The bits of ATTRIBUTES compared.
    /// @return mrsigner The QE's MRSIGNER.
    /// @return isvProdId The QE's ISVPRODID.
    /// @return levelFound Whether a TCB level matched the QE.
    /// @return status That level's status (`UpToDate` if none).
    function qeIdentity(bytes memory json, uint256 qeIsvSvn)
        external
        pure
        returns (
            uint256 issueDate,
            uint256 nextUpdate,
            uint256 tcbEvaluationDataNumber,
            bytes4 miscselect,
            bytes4 miscselectMask,
            bytes16 attributes,
            bytes16 attributesMask,
            bytes32 mrsigner,
            uint256 isvProdId,
            bool levelFound,
            TcbStatus status
        )
    {
        IntelCollateralJson.QeIdentity memory q = IntelCollateralJson.parseQeIdentity(json, qeIsvSvn);
        return (
            q.issueDate,
            q.nextUpdate,
            q.tcbEvaluationDataNumber,
            q.miscselect,
            q.miscselectMask,
            q.attributes,
            q.attributesMask,
            q.mrsigner,
            q.isvProdId,
            q.levelFound,
            q.status
        );
    }

    /// @notice `IntelCollateralJson.skipValue`: the offset just past the JSON value at `offset`.
    /// @param json JSON text.
    /// @param offset Where the value starts.
    /// @return The offset after it.
    function skipValue(bytes memory json, uint256 offset) external pure returns (uint256) {
        return IntelCollateralJson.skipValue(json, offset);
    }
}
