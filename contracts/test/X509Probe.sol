// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {X509} from "../src/lib/X509.sol";

/// @title X509Probe
/// @notice TEST ONLY: exposes the `X509` library (the DCAP verifiers' certificate and CRL reader)
/// so tests can hold it to reference parsers and reach the CRL revocation walk with CRLs that
/// list serials (Intel's sample CRLs list none).
contract X509Probe {
    /// @notice The fields `X509.parseCertificate` reads from a DER certificate.
    /// @param der The certificate.
    /// @return The parsed fields.
    function certificate(bytes memory der) external view returns (X509.Certificate memory) {
        return X509.parseCertificate(der);
    }

    /// @notice The Intel SGX extension of a DER PCK certificate.
    /// @param der The PCK certificate.
    /// @return The TCB component SVNs, PCESVN, FMSPC and PCE-ID.
    function sgxTcb(bytes memory der) external view returns (X509.SgxTcb memory) {
        return X509.sgxTcb(der, X509.parseCertificate(der));
    }

    /// @notice The PPID in the Intel SGX extension of a DER PCK certificate.
    /// @param der The PCK certificate.
    /// @return The 16-byte PPID.
    function sgxPpid(bytes memory der) external view returns (bytes16) {
        return X509.sgxPpid(der, X509.parseCertificate(der));
    }

    /// @notice The fields `X509.parseCrl` reads from a DER CRL.
    /// @param der The CRL.
    /// @return The parsed fields.
    function crl(bytes memory der) external view returns (X509.Crl memory) {
        return X509.parseCrl(der);
    }

    /// @notice Whether the DER CRL lists `serial`.
    /// @param der The CRL.
    /// @param serial A certificate serial number.
    /// @return True if revoked.
    function revokes(bytes memory der, uint256 serial) external view returns (bool) {
        return X509.revokes(der, X509.parseCrl(der), serial);
    }
}
