// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IAttestationVerifier} from "./interfaces/IAttestationVerifier.sol";
import {IDeviceVerifier} from "./interfaces/IDeviceVerifier.sol";

/// @title GroupAttestationVerifier
/// @notice Verifies the evidence of a validator key held as m-of-n shares by n devices, each a
/// whole lsv signer (P) (DESIGN.md, "Many devices"): one valid device evidence per device, each
/// over its own share binding; m and n at least the minimums fixed at deployment, and m a
/// majority of n; n distinct platforms; and the n share keys and the validator's key on one
/// polynomial of degree exactly m - 1 (Shamir sharing, share i at x = i, the key at x = 0),
/// checked with the BLS12-381 precompiles (EIP-2537). No owner, no setters.
/// @dev `verifyKeyGeneration` answers false, never reverts, for evidence it does not accept.
/// Evidence starts with a kind byte:
/// - `0x00 ‖ e`: a key of one device, `SINGLE.verifyKeyGeneration(binding, e)` (false when this
///   verifier was deployed without one);
/// - `0x01 ‖` the group (all lengths fixed but the device evidences):
///   `preimage 228` (the binding's: `DOMAIN_TAG ‖ pubkey 48 ‖ credentials 32 ‖ owner 20 ‖
///   chain id 32 ‖ genesis validators root 32 ‖ policy hash 32`, whose SHA-256 must be
///   `binding`) `‖ m 1 ‖ n 1 ‖ share keys 48·n` (compressed, index order) `‖ share keys 128·n`
///   (the same points, EIP-2537 encoding) `‖ the validator's key 128` (EIP-2537) `‖ n ×
///   (length 2, big-endian ‖ device evidence)`.
/// Device i's share binding, what its evidence must cover, is
/// `sha256(SHARE_TAG ‖ binding ‖ m 1 ‖ n 1 ‖ i 1 ‖ share key i 48 ‖ sha256(share keys))`.
/// Proofs of possession of the share keys are not checked here: each device's evidence is an
/// enclave's statement that it made its share in a key generation it checked (which included
/// every dealer's proof of possession), and `lsv-attestation` checks the proofs off-chain.
contract GroupAttestationVerifier is IAttestationVerifier {
    /// @notice The device verifier is the zero address.
    error ZeroDeviceVerifier();
    /// @notice The minimums are not a threshold: it needs 2 <= minDevices, 2 * minThreshold >
    /// minDevices, and minDevices <= MAX_DEVICES.
    error InvalidMinimums(uint8 minThreshold, uint8 minDevices);

    /// @notice `sha256("lsv/keygen/v1")`, the vault's `DOMAIN_TAG`.
    bytes32 public constant DOMAIN_TAG = 0xf6d52f1e769e8857a0d4b4b7e63ad09895559a028be941a07b52e36e3b2631b0;
    /// @notice `sha256("lsv/keygen-share/v1")`: tags each device's share binding.
    bytes32 public constant SHARE_TAG = 0x7fe8cfe6e4a5fa24b8ac913b60b577454d4788604da9a1f21d262f9bf92f2acb;
    /// @notice The most devices a group may have here (bounds the gas of a check).
    uint256 public constant MAX_DEVICES = 16;

    /// @dev The order r of BLS12-381's groups.
    uint256 private constant R = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001;
    /// @dev (p - 1) / 2 for BLS12-381's base field, as its top 16 and low 32 bytes: a point's
    /// compressed sign flag says y > (p - 1) / 2 (the larger of y and p - y).
    uint256 private constant HALF_P_HI = 0x0d0088f51cbff34d258dd3db21a5d66b;
    uint256 private constant HALF_P_LO = 0xb23ba5c279c2895fb39869507b587b120f55ffff58a9ffffdcff7fffffffd555;
    /// @dev EIP-2537 BLS12_G1MSM and EIP-198 MODEXP.
    address private constant G1_MSM = address(0x0c);
    address private constant MODEXP = address(0x05);

    bytes1 private constant KIND_SINGLE = 0x00;
    bytes1 private constant KIND_GROUP = 0x01;
    uint256 private constant PREIMAGE_LEN = 228;
    uint256 private constant PUBKEY_AT = 32;
    uint256 private constant COMPRESSED = 48;
    uint256 private constant POINT = 128;
    uint256 private constant FP = 64;
    uint256 private constant FP_PAD = 16;

    /// @notice Verifies each device's evidence and gives its platform.
    IDeviceVerifier public immutable DEVICES;
    /// @notice The verifier of one-device keys, or zero if this deployment takes groups only.
    IAttestationVerifier public immutable SINGLE;
    /// @notice The least threshold m a group may have.
    uint8 public immutable MIN_THRESHOLD;
    /// @notice The least devices n a group may have.
    uint8 public immutable MIN_DEVICES;

    /// @notice Deploys a verifier of groups of at least `minThreshold`-of-`minDevices`.
    /// @param devices The device verifier (not zero).
    /// @param single The verifier of one-device keys, or zero to accept groups only.
    /// @param minThreshold The least m.
    /// @param minDevices The least n: at least 2, at most `MAX_DEVICES`, under 2 * minThreshold.
    constructor(IDeviceVerifier devices, IAttestationVerifier single, uint8 minThreshold, uint8 minDevices) {
        if (address(devices) == address(0)) revert ZeroDeviceVerifier();
        if (minDevices < 2 || uint256(minDevices) > MAX_DEVICES || 2 * uint256(minThreshold) <= minDevices) {
            revert InvalidMinimums(minThreshold, minDevices);
        }
        DEVICES = devices;
        SINGLE = single;
        MIN_THRESHOLD = minThreshold;
        MIN_DEVICES = minDevices;
    }

    /// @inheritdoc IAttestationVerifier
    function verifyKeyGeneration(bytes32 binding, bytes calldata evidence) external view override returns (bool) {
        if (evidence.length == 0) return false;
        if (evidence[0] == KIND_SINGLE) {
            return address(SINGLE) != address(0) && SINGLE.verifyKeyGeneration(binding, evidence[1:]);
        }
        if (evidence[0] != KIND_GROUP) return false;
        return _verifyGroup(binding, evidence[1:]);
    }

    function _verifyGroup(bytes32 binding, bytes calldata e) private view returns (bool) {
        if (e.length < PREIMAGE_LEN + 2) return false;
        if (bytes32(e[0:32]) != DOMAIN_TAG || sha256(e[0:PREIMAGE_LEN]) != binding) return false;
        uint256 m = uint8(e[PREIMAGE_LEN]);
        uint256 n = uint8(e[PREIMAGE_LEN + 1]);
        if (n < MIN_DEVICES || n > MAX_DEVICES || m < MIN_THRESHOLD || m > n || 2 * m <= n) return false;
        uint256 sharesAt = PREIMAGE_LEN + 2;
        uint256 pointsAt = sharesAt + COMPRESSED * n;
        uint256 groupAt = pointsAt + POINT * n;
        uint256 devicesAt = groupAt + POINT;
        if (e.length < devicesAt) return false;
        bytes calldata shares = e[sharesAt:pointsAt];
        bytes calldata points = e[pointsAt:groupAt];
        if (!_matches(e[PUBKEY_AT:PUBKEY_AT + COMPRESSED], e[groupAt:devicesAt])) return false;
        for (uint256 i = 0; i < n; ++i) {
            if (!_matches(shares[COMPRESSED * i:COMPRESSED * (i + 1)], points[POINT * i:POINT * (i + 1)])) {
                return false;
            }
        }
        if (!_devices(binding, m, n, shares, e[devicesAt:])) return false;
        return _onOnePolynomial(m, n, points, e[groupAt:devicesAt]);
    }

    /// @dev Each device's evidence over its share binding, n distinct platforms, and nothing
    /// left over.
    function _devices(bytes32 binding, uint256 m, uint256 n, bytes calldata shares, bytes calldata d)
        private
        view
        returns (bool)
    {
        bytes32 sharesRoot = sha256(shares);
        bytes32[] memory platforms = new bytes32[](n);
        uint256 cursor = 0;
        for (uint256 i = 0; i < n; ++i) {
            if (d.length < cursor + 2) return false;
            uint256 len = uint16(bytes2(d[cursor:cursor + 2]));
            cursor += 2;
            if (d.length < cursor + len) return false;
            bytes32 shareBinding = sha256(
                abi.encodePacked(
                    SHARE_TAG,
                    binding,
                    uint8(m),
                    uint8(n),
                    uint8(i + 1),
                    shares[COMPRESSED * i:COMPRESSED * (i + 1)],
                    sharesRoot
                )
            );
            try DEVICES.verifyDevice(shareBinding, d[cursor:cursor + len]) returns (bool ok, bytes32 platform) {
                if (!ok || platform == bytes32(0)) return false;
                for (uint256 k = 0; k < i; ++k) {
                    if (platforms[k] == platform) return false;
                }
                platforms[i] = platform;
            } catch {
                return false;
            }
            cursor += len;
        }
        return cursor == d.length;
    }

    /// @dev Whether the EIP-2537 point `u` is the point whose compressed form is `c`: compression
    /// flag set, not infinity, the same x, and the sign flag set exactly when y > (p - 1) / 2.
    /// (That `u` is on the curve and in G1 is checked by the MSM precompile, which every point
    /// here goes through or is compared with the output of.)
    function _matches(bytes calldata c, bytes calldata u) private pure returns (bool) {
        uint8 flags = uint8(c[0]);
        if (flags & 0x80 == 0 || flags & 0x40 != 0) return false;
        if (bytes16(u[0:FP_PAD]) != 0 || bytes16(u[FP:FP + FP_PAD]) != 0) return false;
        bytes16 xHi = bytes16(c[0:16]) & bytes16(0x1fffffffffffffffffffffffffffffff);
        if (xHi != bytes16(u[FP_PAD:FP_PAD + 16]) || bytes32(c[16:48]) != bytes32(u[FP_PAD + 16:FP])) return false;
        uint256 yHi = uint128(bytes16(u[FP + FP_PAD:FP + FP_PAD + 16]));
        uint256 yLo = uint256(bytes32(u[FP + FP_PAD + 16:POINT]));
        bool larger = yHi > HALF_P_HI || (yHi == HALF_P_HI && yLo > HALF_P_LO);
        return larger == (flags & 0x20 != 0);
    }

    /// @dev Shares 1..m fix the polynomial f of degree at most m - 1 through them; every other
    /// share lies on it, its x^(m-1) coefficient is not the identity, and f(0) is the key.
    function _onOnePolynomial(uint256 m, uint256 n, bytes calldata points, bytes calldata key)
        private
        view
        returns (bool)
    {
        uint256[] memory invW = new uint256[](m);
        for (uint256 i = 1; i <= m; ++i) {
            uint256 w = 1;
            for (uint256 k = 1; k <= m; ++k) {
                if (k != i) w = mulmod(w, addmod(i, R - k, R), R);
            }
            (bool ok, uint256 inv) = _inverse(w);
            if (!ok) return false;
            invW[i - 1] = inv;
        }
        (bool done, bytes memory top) = _msm(points, invW);
        if (!done || keccak256(top) == keccak256(new bytes(POINT))) return false;
        (bool atZero, bytes memory f0) = _msm(points, _lagrange(0, m, invW));
        if (!atZero || keccak256(f0) != keccak256(key)) return false;
        for (uint256 j = m + 1; j <= n; ++j) {
            (bool atJ, bytes memory fj) = _msm(points, _lagrange(j, m, invW));
            if (!atJ || keccak256(fj) != keccak256(points[POINT * (j - 1):POINT * j])) return false;
        }
        return true;
    }

    /// @dev `λ_i(x) = Π_{k≠i} (x - k) / w_i` for i = 1..m, mod r.
    function _lagrange(uint256 x, uint256 m, uint256[] memory invW) private pure returns (uint256[] memory l) {
        l = new uint256[](m);
        for (uint256 i = 1; i <= m; ++i) {
            uint256 num = 1;
            for (uint256 k = 1; k <= m; ++k) {
                if (k != i) num = mulmod(num, addmod(x, R - k, R), R);
            }
            l[i - 1] = mulmod(num, invW[i - 1], R);
        }
    }

    /// @dev `Σ scalars[i]·P_{i+1}` over the first `scalars.length` points (EIP-2537 G1MSM).
    function _msm(bytes calldata points, uint256[] memory scalars) private view returns (bool, bytes memory) {
        bytes memory input;
        for (uint256 i = 0; i < scalars.length; ++i) {
            input = bytes.concat(input, points[POINT * i:POINT * (i + 1)], bytes32(scalars[i]));
        }
        (bool ok, bytes memory out) = G1_MSM.staticcall(input);
        return (ok && out.length == POINT, out);
    }

    /// @dev `a^(r-2) mod r` (EIP-198 MODEXP): the inverse of a non-zero `a` (r is prime).
    function _inverse(uint256 a) private view returns (bool, uint256) {
        (bool ok, bytes memory out) = MODEXP.staticcall(abi.encodePacked(uint256(32), uint256(32), uint256(32), a, R - 2, R));
        if (!ok || out.length != 32) return (false, 0);
        return (true, uint256(bytes32(out)));
    }
}
