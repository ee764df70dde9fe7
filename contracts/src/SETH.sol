// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ISETH} from "./interfaces/ISETH.sol";

/// @title SETH
/// @notice sETH, "lsv staked ETH": an ERC-20 token (18 decimals) with ERC-2612 `permit`. The vault
/// that deploys it is the only address that can mint or burn; there is no owner, no pause and no
/// upgrade. What backs sETH is the vault's business (docs/DESIGN.md, "C — the contracts"); this
/// contract only keeps balances.
/// @dev Balances never exceed `totalSupply`, which is checked on mint, so the per-account arithmetic
/// below cannot overflow and runs unchecked. Transfers to the zero address or to this contract are
/// refused: tokens there could never move again.
contract SETH is ISETH {
    /// @inheritdoc ISETH
    string public constant override name = "lsv staked ETH";
    /// @inheritdoc ISETH
    string public constant override symbol = "sETH";
    /// @inheritdoc ISETH
    uint8 public constant override decimals = 18;

    /// @dev keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)")
    bytes32 private constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");
    /// @dev keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256(bytes(name));
    bytes32 private constant VERSION_HASH = keccak256("1");
    /// @dev secp256k1n / 2: a signature with a larger `s` is the malleated twin of one with
    /// `n - s` (EIP-2), so only the lower half is accepted.
    uint256 private constant MAX_S = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// @inheritdoc ISETH
    address public immutable override VAULT;
    /// @dev The chain id at deployment and the domain separator for it. After a chain split the
    /// fork with another id recomputes the separator, so a permit signed for one chain is void
    /// on the other.
    uint256 private immutable DEPLOYMENT_CHAIN_ID;
    bytes32 private immutable DEPLOYMENT_DOMAIN_SEPARATOR;

    /// @inheritdoc ISETH
    uint256 public override totalSupply;
    /// @inheritdoc ISETH
    mapping(address account => uint256) public override balanceOf;
    /// @inheritdoc ISETH
    mapping(address owner => mapping(address spender => uint256)) public override allowance;
    /// @inheritdoc ISETH
    mapping(address owner => uint256) public override nonces;

    /// @notice Deploys sETH with the caller as its vault: the vault creates it in its own
    /// constructor, so the token and its sole minter are bound from the first block.
    constructor() {
        VAULT = msg.sender;
        DEPLOYMENT_CHAIN_ID = block.chainid;
        DEPLOYMENT_DOMAIN_SEPARATOR = _domainSeparator(block.chainid);
    }

    /// @dev Reverts with `OnlyVault` unless the vault is calling.
    modifier onlyVault() {
        if (msg.sender != VAULT) revert OnlyVault();
        _;
    }

    // ---- ERC-20 -------------------------------------------------------------------------------

    /// @inheritdoc ISETH
    function transfer(address to, uint256 amount) external override returns (bool) {
        _transfer(msg.sender, to, amount);
        return true;
    }

    /// @inheritdoc ISETH
    function transferFrom(address from, address to, uint256 amount) external override returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < amount) revert InsufficientAllowance(allowed, amount);
            unchecked {
                allowed -= amount;
            }
            allowance[from][msg.sender] = allowed;
            emit Approval(from, msg.sender, allowed);
        }
        _transfer(from, to, amount);
        return true;
    }

    /// @inheritdoc ISETH
    function approve(address spender, uint256 amount) external override returns (bool) {
        _approve(msg.sender, spender, amount);
        return true;
    }

    // ---- ERC-2612 -----------------------------------------------------------------------------

    /// @inheritdoc ISETH
    function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        override
    {
        if (block.timestamp > deadline) revert PermitExpired(deadline);
        if ((v != 27 && v != 28) || uint256(s) > MAX_S) revert InvalidSignature();
        uint256 nonce = nonces[owner];
        bytes32 structHash = keccak256(abi.encode(PERMIT_TYPEHASH, owner, spender, value, nonce, deadline));
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", DOMAIN_SEPARATOR(), structHash));
        address signer = ecrecover(digest, v, r, s);
        // ecrecover returns the zero address for a signature that recovers to no key: never let
        // that stand for an owner of address(0).
        if (signer == address(0) || signer != owner) revert InvalidSigner();
        unchecked {
            nonces[owner] = nonce + 1; // 2^256 signatures are out of reach
        }
        _approve(owner, spender, value);
    }

    /// @inheritdoc ISETH
    function DOMAIN_SEPARATOR() public view override returns (bytes32) {
        if (block.chainid == DEPLOYMENT_CHAIN_ID) return DEPLOYMENT_DOMAIN_SEPARATOR;
        return _domainSeparator(block.chainid);
    }

    // ---- the vault ----------------------------------------------------------------------------

    /// @inheritdoc ISETH
    function mint(address to, uint256 amount) external override onlyVault {
        if (to == address(0) || to == address(this)) revert InvalidReceiver(to);
        totalSupply += amount; // checked: bounds every balance below
        unchecked {
            balanceOf[to] += amount;
        }
        emit Transfer(address(0), to, amount);
    }

    /// @inheritdoc ISETH
    /// @dev No allowance: the vault burns only the sETH of the account that called it to redeem,
    /// so an approval would add a transaction and protect nothing.
    function burnFrom(address from, uint256 amount) external override onlyVault {
        uint256 balance = balanceOf[from];
        if (balance < amount) revert InsufficientBalance(balance, amount);
        unchecked {
            balanceOf[from] = balance - amount;
            totalSupply -= amount; // the sum of balances is totalSupply
        }
        emit Transfer(from, address(0), amount);
    }

    // ---- internals ----------------------------------------------------------------------------

    /// @dev Moves `amount` from `from` to `to` after the receiver and balance checks.
    function _transfer(address from, address to, uint256 amount) private {
        if (to == address(0) || to == address(this)) revert InvalidReceiver(to);
        uint256 balance = balanceOf[from];
        if (balance < amount) revert InsufficientBalance(balance, amount);
        unchecked {
            balanceOf[from] = balance - amount;
            balanceOf[to] += amount; // the sum of balances is totalSupply
        }
        emit Transfer(from, to, amount);
    }

    /// @dev Sets `owner`'s allowance for `spender`.
    function _approve(address owner, address spender, uint256 amount) private {
        allowance[owner][spender] = amount;
        emit Approval(owner, spender, amount);
    }

    /// @dev The EIP-712 domain separator for `chainId`.
    function _domainSeparator(uint256 chainId) private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, chainId, address(this)));
    }
}
