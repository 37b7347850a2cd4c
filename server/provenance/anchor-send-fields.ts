import type { JsonRpcApiProvider, TransactionRequest, Wallet } from 'ethers';

export interface AnchorSendFieldsOptions {
  /** How long fee data may be reused; 0 asks the node before every anchor. */
  feeDataMaxAgeMs: number;
}

/**
 * Nonce, gas limit and fees of the next anchor transaction, kept between anchors instead of asked
 * for each time. Left to ethers, every anchor cost four extra JSON-RPC calls (nonce, gas estimate,
 * latest block and two fee calls); on the embedded chain those were over half of its ~21 ms of CPU
 * per anchor, the gas estimate alone a third (ganache runs the transaction with a step trace).
 *
 * - Gas: an anchor's gas is fixed for its number of windows but for its calldata's zero bytes, so it
 *   is estimated once per number of windows, for roots and digests with no zero byte (the dearest
 *   calldata); unused gas is not charged.
 * - Nonce: one anchor at a time per process (EvmLedger's queue), so the next is the last plus one.
 *   Another process with the same key may have sent meanwhile (the anchoring lease moved): its
 *   transaction then fails as nonce-too-low, and any failure makes the next anchor ask again.
 * - Fees: reused for `feeDataMaxAgeMs` (the embedded chain's never rise); 0 for other chains.
 */
export class AnchorSendFields {
  /** Per number of windows in the transaction. */
  private readonly gasLimits = new Map<number, bigint>();
  private nonce: number | undefined;
  private fees: { at: number; fields: Pick<TransactionRequest, 'gasPrice' | 'maxFeePerGas' | 'maxPriorityFeePerGas' | 'type'> } | undefined;

  constructor(
    private readonly provider: JsonRpcApiProvider,
    private readonly signer: Wallet,
    private readonly contract: string,
    private readonly options: AnchorSendFieldsOptions,
  ) {}

  /** The fields to send an anchor of `windows` roots with (`dearestData(n)`: the call for n roots and digests of no zero byte). */
  async next(windows: number, dearestData: (windows: number) => string): Promise<TransactionRequest> {
    let gasLimit = this.gasLimits.get(windows);
    if (gasLimit === undefined) this.gasLimits.set(windows, (gasLimit = await this.signer.estimateGas({ to: this.contract, data: dearestData(windows) })));
    this.nonce ??= await this.signer.getNonce('pending');
    return { gasLimit, nonce: this.nonce, ...(await this.feeFields()) };
  }

  /** The node took the transaction: the next one takes the following nonce. */
  sent(): void {
    if (this.nonce !== undefined) this.nonce += 1;
  }

  /** Sending failed, or the transaction reverted: everything is asked for again. */
  failed(): void {
    this.gasLimits.clear();
    this.nonce = undefined;
    this.fees = undefined;
  }

  private async feeFields() {
    if (this.fees && Date.now() - this.fees.at < this.options.feeDataMaxAgeMs) return this.fees.fields;
    const data = await this.provider.getFeeData();
    // As ethers would fill them: EIP-1559 fields where the chain has them, else a legacy gas price.
    const fields = data.maxFeePerGas != null && data.maxPriorityFeePerGas != null ? { type: 2, maxFeePerGas: data.maxFeePerGas, maxPriorityFeePerGas: data.maxPriorityFeePerGas } : { type: 0, gasPrice: data.gasPrice };
    this.fees = { at: Date.now(), fields };
    return fields;
  }
}
