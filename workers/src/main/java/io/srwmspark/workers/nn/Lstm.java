package io.srwmspark.workers.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * One LSTM layer over a time-major sequence x (T, B, I), hidden size D, with exact backpropagation through time.
 * Gates in column blocks [i | f | o | g] of width D (sigmoid for the first three, tanh for g):
 * <pre>
 *   z_t = x_t W_x + h_{t-1} W_h + b                           (B, 4D)   W_x (I, 4D), W_h (D, 4D), b (4D)
 *   i, f, o = sigmoid(z_t[i], z_t[f], z_t[o])    g = tanh(z_t[g])
 *   c~ = f c_{t-1} + i g       h~ = o tanh(c~)
 *   c_t = c_{t-1} + m_t (c~ - c_{t-1})    h_t = h_{t-1} + m_t (h~ - h_{t-1})    y_t = m_t h~
 * </pre>
 * m_t (B, 1) is the step mask (1 without one): a masked step outputs 0 and carries the state through unchanged.
 * Backward, with dH = dL/dh_t and dC = dL/dc_t from later steps and dy = dL/dy_t:
 * <pre>
 *   dh~ = m (dH + dy)          dc~ = m dC + dh~ o (1 - tanh^2 c~)
 *   dz[i] = dc~ g i (1-i)   dz[f] = dc~ c_{t-1} f (1-f)   dz[o] = dh~ tanh(c~) o (1-o)   dz[g] = dc~ i (1-g^2)
 *   dC &lt;- (1-m) dC + f dc~     dH &lt;- (1-m) dH + dz W_h^T
 *   dx = dz W_x^T    dW_x = sum_t x_t^T dz_t    dW_h = sum_t h_{t-1}^T dz_t    db = sum_t,b dz_t
 * </pre>
 * The step loop runs batched ND4J ops over all B sequences; the input and weight products over all steps are
 * single matrix products.
 */
final class Lstm {

    /** What backward needs; gates are the activated [i | f | o | g]. */
    record Tape(INDArray x, INDArray gates, INDArray hs, INDArray cs, INDArray tanhC, INDArray mask) {
        // x (T*B, I), gates (T, B, 4D), hs and cs (T+1, B, D) with the initial state at 0,
        // tanhC (T, B, D) tanh(c~), mask (T, B) or null
    }

    /** y (T, B, D), the final hidden and cell state (B, D) each, and the tape. */
    record Result(INDArray y, INDArray hLast, INDArray cLast, Tape tape) {
    }

    /** dx (T, B, I), weight gradients, and the gradients of the initial state (B, D) each. */
    record Grads(INDArray dx, INDArray dWx, INDArray dWh, INDArray db, INDArray dh0, INDArray dc0) {
    }

    private Lstm() {
    }

    /**
     * @param x    (T, B, I) c-ordered input
     * @param h0   (B, D) initial hidden state
     * @param c0   (B, D) initial cell state
     * @param mask (T, B) c-ordered step mask of x's type, or null
     */
    static Result forward(INDArray x, INDArray wx, INDArray wh, INDArray b, INDArray h0, INDArray c0,
            INDArray mask) {
        long steps = x.size(0);
        long batch = x.size(1);
        long d = wh.size(0);
        INDArray xRows = x.reshape('c', steps * batch, x.size(2));     // (T*B, I)
        INDArray gates = xRows.mmul(wx).addiRowVector(b)                // (T*B, 4D): x W_x + b, then per step
                .reshape('c', steps, batch, 4 * d);                     // (T, B, 4D)
        INDArray hs = Nd4j.create(x.dataType(), steps + 1, batch, d);   // (T+1, B, D)
        INDArray cs = Nd4j.create(x.dataType(), steps + 1, batch, d);
        INDArray tanhC = Nd4j.create(x.dataType(), steps, batch, d);    // (T, B, D)
        INDArray y = Nd4j.create(x.dataType(), steps, batch, d);        // (T, B, D)
        hs.slice(0).assign(h0);
        cs.slice(0).assign(c0);
        for (int t = 0; t < steps; t++) {
            INDArray hPrev = hs.slice(t);                               // (B, D)
            INDArray cPrev = cs.slice(t);
            INDArray z = gates.slice(t);                                // (B, 4D) view
            z.addi(hPrev.mmul(wh));
            Transforms.sigmoid(block(z, 0, 3 * d), false);              // i, f, o in place
            Transforms.tanh(block(z, 3 * d, 4 * d), false);             // g in place
            INDArray i = block(z, 0, d);
            INDArray f = block(z, d, 2 * d);
            INDArray o = block(z, 2 * d, 3 * d);
            INDArray g = block(z, 3 * d, 4 * d);
            INDArray c = f.mul(cPrev).addi(i.mul(g));                   // c~ (B, D)
            INDArray tc = Transforms.tanh(c, true);
            INDArray hNew = o.mul(tc);                                  // h~ (B, D)
            tanhC.slice(t).assign(tc);
            if (mask == null) {
                cs.slice(t + 1).assign(c);
                hs.slice(t + 1).assign(hNew);
                y.slice(t).assign(hNew);
            } else {
                INDArray m = mask.slice(t).reshape(batch, 1);           // (B, 1)
                cs.slice(t + 1).assign(c.subi(cPrev).muliColumnVector(m).addi(cPrev));
                y.slice(t).assign(hNew.mulColumnVector(m));
                hs.slice(t + 1).assign(hNew.subi(hPrev).muliColumnVector(m).addi(hPrev));
            }
        }
        Tape tape = new Tape(xRows, gates, hs, cs, tanhC, mask);
        return new Result(y, hs.slice(steps).dup(), cs.slice(steps).dup(), tape);
    }

    /**
     * @param dy  (T, B, D) dL/dy, c-ordered
     * @param dhT (B, D) dL/d(final hidden state), or null
     * @param dcT (B, D) dL/d(final cell state), or null
     */
    static Grads backward(INDArray wx, INDArray wh, Tape t, INDArray dy, INDArray dhT, INDArray dcT) {
        long steps = dy.size(0);
        long batch = dy.size(1);
        long d = wh.size(0);
        INDArray dH = dhT == null ? Nd4j.zeros(dy.dataType(), batch, d) : dhT.dup();  // (B, D)
        INDArray dC = dcT == null ? Nd4j.zeros(dy.dataType(), batch, d) : dcT.dup();
        INDArray dZ = Nd4j.create(dy.dataType(), steps, batch, 4 * d); // (T, B, 4D)
        for (int s = (int) steps - 1; s >= 0; s--) {
            INDArray z = t.gates().slice(s);
            INDArray i = block(z, 0, d);
            INDArray f = block(z, d, 2 * d);
            INDArray o = block(z, 2 * d, 3 * d);
            INDArray g = block(z, 3 * d, 4 * d);
            INDArray tc = t.tanhC().slice(s);
            INDArray cPrev = t.cs().slice(s);
            INDArray m = t.mask() == null ? null : t.mask().slice(s).reshape(batch, 1);
            INDArray dhNew = dH.add(dy.slice(s));                       // dh~ (B, D)
            INDArray dcNew = dC.dup();
            if (m != null) {
                dhNew.muliColumnVector(m);
                dcNew.muliColumnVector(m);
            }
            dcNew.addi(dhNew.mul(o).muli(tc.mul(tc).rsubi(1.0)));      // dc~
            INDArray dz = dZ.slice(s);                                  // (B, 4D) view
            block(dz, 0, d).assign(dcNew.mul(g).muli(i).muli(i.rsub(1.0)));
            block(dz, d, 2 * d).assign(dcNew.mul(cPrev).muli(f).muli(f.rsub(1.0)));
            block(dz, 2 * d, 3 * d).assign(dhNew.mul(tc).muli(o).muli(o.rsub(1.0)));
            block(dz, 3 * d, 4 * d).assign(dcNew.mul(i).muli(g.mul(g).rsubi(1.0)));
            INDArray dzW = Nd4j.gemm(dz, wh, false, true);              // dz W_h^T (B, D)
            if (m != null) {
                INDArray keep = m.rsub(1.0);                            // (B, 1)
                dC = dC.muliColumnVector(keep).addi(dcNew.muli(f));
                dH = dH.muliColumnVector(keep).addi(dzW);
            } else {
                dC = dcNew.muli(f);
                dH = dzW;
            }
        }
        INDArray dzRows = dZ.reshape('c', steps * batch, 4 * d);        // (T*B, 4D)
        INDArray hPrevRows = t.hs().get(NDArrayIndex.interval(0, steps), NDArrayIndex.all(), NDArrayIndex.all())
                .dup('c').reshape('c', steps * batch, d);               // (T*B, D): h_{t-1}
        INDArray dx = Nd4j.gemm(dzRows, wx, false, true)                // (T*B, I)
                .reshape('c', steps, batch, wx.size(0));
        INDArray dWx = Nd4j.gemm(t.x(), dzRows, true, false);           // (I, 4D)
        INDArray dWh = Nd4j.gemm(hPrevRows, dzRows, true, false);       // (D, 4D)
        INDArray db = dzRows.sum(0);                                    // (4D)
        return new Grads(dx, dWx, dWh, db, dH, dC);
    }

    /** Columns [from, to) of a (B, 4D) gate matrix, as a view. */
    private static INDArray block(INDArray z, long from, long to) {
        return z.get(NDArrayIndex.all(), NDArrayIndex.interval(from, to));
    }
}
