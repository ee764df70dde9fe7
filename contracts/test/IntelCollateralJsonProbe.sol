// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IntelCollateralJson, TcbStatus} from "../src/lib/IntelCollateralJson.sol";
import {IntelTdxTcbInfo} from "../src/lib/IntelTdxTcbInfo.sol";

/// @title IntelCollateralJsonProbe
/// @notice TEST ONLY: exposes the `IntelCollateralJson` and `IntelTdxTcbInfo` libraries (the DCAP
/// verifiers' readers of Intel's TCB info and QE identity JSON) so tests can feed them JSON that
/// Intel did not sign. The verifiers check Intel's signature before reading, so edited JSON never
/// reaches the readers there and their errors (`JsonMalformed`, `JsonFieldMissing`,
/// `TcbStatusUnknown`, `TcbLevelsOutOfOrder`, ...) are only reachable through this probe.
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

    /// @notice `IntelCollateralJson.parseTdQeIdentity`: a TD QE identity v2, evaluated for a QE.
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
    function tdQeIdentity(bytes memory json, uint256 qeIsvSvn)
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
        IntelCollateralJson.QeIdentity memory q = IntelCollateralJson.parseTdQeIdentity(json, qeIsvSvn);
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

    /// @notice `IntelTdxTcbInfo.parse`: a TDX TCB info v3, evaluated for a TD.
    /// @dev Members returned one by one, as for `tcbInfo`: the TCB info's, then those of the TDX
    /// module identity it selects (`module...`).
    /// @param json The `tcbInfo` object's text.
    /// @param compSvn The platform's 16 SGX TCB component SVNs (PCK certificate).
    /// @param pceSvn The platform's PCESVN (PCK certificate).
    /// @param teeTcbSvn The TD report's TEE_TCB_SVN.
    /// @return issueDate Unix seconds.
    /// @return nextUpdate Unix seconds.
    /// @return fmspc The platform model.
    /// @return pceId The PCE.
    /// @return tcbEvaluationDataNumber The TCB evaluation the collateral comes from.
    /// @return levelFound Whether a TCB level matched the platform and TD.
    /// @return status That level's status (`UpToDate` if none).
    /// @return moduleIdentityFound Whether a module identity applies (`tdxModule` for version 0).
    /// @return moduleMrsignerHigh Its MRSIGNER's first 32 bytes.
    /// @return moduleMrsignerLow Its MRSIGNER's last 16 bytes.
    /// @return moduleAttributes Its SEAMATTRIBUTES.
    /// @return moduleAttributesMask The bits of SEAMATTRIBUTES compared.
    /// @return moduleLevelFound Whether a module TCB level matched TEE_TCB_SVN[0].
    /// @return moduleStatus That level's status (`UpToDate` if none, or for version 0).
    function tdxTcbInfo(bytes memory json, uint256[16] memory compSvn, uint256 pceSvn, bytes16 teeTcbSvn)
        external
        pure
        returns (
            uint256 issueDate,
            uint256 nextUpdate,
            bytes6 fmspc,
            bytes2 pceId,
            uint256 tcbEvaluationDataNumber,
            bool levelFound,
            TcbStatus status,
            bool moduleIdentityFound,
            bytes32 moduleMrsignerHigh,
            bytes16 moduleMrsignerLow,
            bytes8 moduleAttributes,
            bytes8 moduleAttributesMask,
            bool moduleLevelFound,
            TcbStatus moduleStatus
        )
    {
        IntelTdxTcbInfo.TdxTcbInfo memory t = IntelTdxTcbInfo.parse(json, compSvn, pceSvn, teeTcbSvn);
        return (
            t.issueDate,
            t.nextUpdate,
            t.fmspc,
            t.pceId,
            t.tcbEvaluationDataNumber,
            t.levelFound,
            t.status,
            t.moduleIdentityFound,
            t.moduleMrsignerHigh,
            t.moduleMrsignerLow,
            t.moduleAttributes,
            t.moduleAttributesMask,
            t.moduleLevelFound,
            t.moduleStatus
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
