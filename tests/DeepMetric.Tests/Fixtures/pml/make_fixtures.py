"""Reference values for the parity tests, computed by pytorch-metric-learning 2.8.1 itself.

Run from the repository root (Debian's python3-torch, PML from its source tree; see README.md here):
    PYTHONPATH=~/pml/src /usr/bin/python3 tests/DeepMetric.Tests/Fixtures/pml/make_fixtures.py

Writes pml_fixtures.json next to this script. Every input (embeddings, labels, loss parameters such as proxies
and class weights) is written into the JSON, so the C# tests use exactly the numbers PML saw. Matrices of loss
parameters are stored in DeepMetric's layout (one row per class / proxy / centre, [rows, D]); PML's [D, C]
matrices are transposed on the way out.
"""
import json
import math
import os

import numpy as np
import torch

import pytorch_metric_learning as pml
from pytorch_metric_learning import distances, losses, miners, reducers
from pytorch_metric_learning.utils.accuracy_calculator import AccuracyCalculator
from pytorch_metric_learning.utils.inference import CustomKNN

assert pml.__version__ == "2.8.1", pml.__version__
torch.set_default_dtype(torch.float32)

D = 4
RNG = np.random.RandomState(14)


def f32(a):
    return np.asarray(a, dtype=np.float32)


def rand(n, d=D, scale=1.0):
    return f32(RNG.randn(n, d) * scale)


# ---- batches --------------------------------------------------------------------------------------------------
def make_batches():
    b = {}
    # Mixed classes including a singleton (label 3).
    b["mixed"] = dict(emb=rand(8), labels=[0, 0, 0, 1, 1, 2, 2, 3])
    b["one_class"] = dict(emb=rand(5), labels=[1, 1, 1, 1, 1])
    b["distinct"] = dict(emb=rand(5), labels=[0, 1, 2, 3, 4])
    dup = rand(7)
    dup[1] = dup[0]  # duplicated positive pair
    dup[4] = dup[3]  # duplicated negative pair (labels differ)
    b["dup"] = dict(emb=dup, labels=[0, 0, 1, 1, 2, 2, 0])
    # Query set with a separate reference set (memory-bank style).
    b["ref"] = dict(emb=rand(6), labels=[0, 0, 1, 1, 2, 3], ref_emb=rand(7), ref_labels=[0, 1, 1, 2, 2, 4, 0])
    # Larger batch with several members per class (miners, metrics).
    b["big"] = dict(emb=rand(16), labels=[0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 5])
    return b


BATCHES = make_batches()


def tensors(name, grad=True):
    bt = BATCHES[name]
    e = torch.tensor(bt["emb"], requires_grad=grad)
    y = torch.tensor(bt["labels"], dtype=torch.long)
    r = ry = None
    if "ref_emb" in bt:
        r = torch.tensor(bt["ref_emb"], requires_grad=grad)
        ry = torch.tensor(bt["ref_labels"], dtype=torch.long)
    return e, y, r, ry


def lst(t):
    return t.detach().cpu().numpy().astype(np.float64).tolist()


def fin(x):
    """JSON has no NaN/inf: encode them as strings."""
    if isinstance(x, list):
        return [fin(v) for v in x]
    if isinstance(x, dict):
        return {k: fin(v) for k, v in x.items()}
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


# ---- losses ---------------------------------------------------------------------------------------------------
LOSS_RECORDS = []


def param_matrix(rows, d=D, scale=1.0):
    return f32(RNG.randn(rows, d) * scale)


def run_loss(case, make, batches, params=None, miner=None, ref_ok=False, args=None):
    """params: {our_name: (rows x D array in our layout, setter(loss, torch tensor), getter(loss) -> grad in our layout)}"""
    for bname in batches:
        bt = BATCHES[bname]
        if "ref_emb" in bt and not ref_ok:
            continue
        torch.manual_seed(0)
        loss = make()
        e, y, r, ry = tensors(bname)
        fixed = {}
        for pname, (arr, setter, _) in (params or {}).items():
            setter(loss, torch.tensor(arr))
            fixed[pname] = arr.tolist()
        tup = None
        mined = None
        if miner is not None:
            m = miner()
            tup = m(e, y, r, ry)
            mined = [x.tolist() for x in tup]
        rec = dict(id=f"{case}@{bname}", loss=case.split("/")[0], case=case, batch=bname, args=args or {},
                   params=fixed, mined=mined)
        try:
            value = loss(e, y, tup, r, ry)
        except Exception as ex:  # PML itself fails on this batch: recorded, the test reports it as skipped
            rec["error"] = f"{type(ex).__name__}: {ex}"
            LOSS_RECORDS.append(rec)
            continue
        if not torch.is_tensor(value):
            rec["value"] = float(value)
            rec["grad"] = None
        else:
            rec["value"] = value.item()
            if value.requires_grad:
                value.backward()
            rec["grad"] = lst(e.grad) if e.grad is not None else np.zeros(bt["emb"].shape).tolist()
            if r is not None:
                rec["ref_grad"] = lst(r.grad) if r.grad is not None else np.zeros(bt["ref_emb"].shape).tolist()
            pg = {}
            for pname, (_, _, getter) in (params or {}).items():
                g = getter(loss)
                pg[pname] = None if g is None else g
            rec["param_grads"] = pg
        LOSS_RECORDS.append(rec)


def as_param(t):
    return torch.nn.Parameter(t.clone())


def set_attr(attr, transpose=False):
    def s(loss, t):
        setattr(loss, attr, as_param(t.t().contiguous() if transpose else t))
    return s


def get_grad(attr, transpose=False):
    def g(loss):
        p = getattr(loss, attr)
        if p.grad is None:
            return None
        return lst(p.grad.t() if transpose else p.grad)
    return g


def p_(attr, rows, transpose, scale=1.0):
    return (param_matrix(rows, D, scale), set_attr(attr, transpose), get_grad(attr, transpose))


STD = ["mixed", "one_class", "distinct", "dup"]
ALL = STD + ["ref"]
C = 6  # classes for the classifier losses (labels are in [0, 5])


def loss_cases():
    L = losses
    # Pair and triplet losses (accept a reference set).
    pairlike = {
        "ContrastiveLoss/default": (lambda: L.ContrastiveLoss(), {}),
        "ContrastiveLoss/margins": (lambda: L.ContrastiveLoss(pos_margin=0.1, neg_margin=0.8), dict(posMargin=0.1, negMargin=0.8)),
        "ContrastiveLoss/cosine": (lambda: L.ContrastiveLoss(pos_margin=1, neg_margin=0, distance=distances.CosineSimilarity()),
                                   dict(posMargin=1, negMargin=0, distance="cosine")),
        "TripletMarginLoss/default": (lambda: L.TripletMarginLoss(), {}),
        "TripletMarginLoss/swap_smooth": (lambda: L.TripletMarginLoss(margin=0.2, swap=True, smooth_loss=True), dict(margin=0.2, swap=True, smoothLoss=True)),
        "TripletMarginLoss/cosine": (lambda: L.TripletMarginLoss(margin=0.1, distance=distances.CosineSimilarity()), dict(margin=0.1, distance="cosine")),
        "MarginLoss/default": (lambda: L.MarginLoss(), {}),
        "MarginLoss/nu_learn": (lambda: L.MarginLoss(margin=0.3, nu=0.1, beta=1.0, learn_beta=True), dict(margin=0.3, nu=0.1, beta=1.0, learnBeta=True)),
        "MultiSimilarityLoss/default": (lambda: L.MultiSimilarityLoss(), {}),
        "MultiSimilarityLoss/args": (lambda: L.MultiSimilarityLoss(alpha=1, beta=20, base=0.3), dict(alpha=1, beta=20, base=0.3)),
        "CircleLoss/default": (lambda: L.CircleLoss(), {}),
        "CircleLoss/args": (lambda: L.CircleLoss(m=0.25, gamma=30), dict(m=0.25, gamma=30)),
        "GeneralizedLiftedStructureLoss/default": (lambda: L.GeneralizedLiftedStructureLoss(), {}),
        "GeneralizedLiftedStructureLoss/margins": (lambda: L.GeneralizedLiftedStructureLoss(neg_margin=0.5, pos_margin=0.1), dict(negMargin=0.5, posMargin=0.1)),
        "LiftedStructureLoss/default": (lambda: L.LiftedStructureLoss(), {}),
        "LiftedStructureLoss/margins": (lambda: L.LiftedStructureLoss(neg_margin=0.7, pos_margin=0.1), dict(negMargin=0.7, posMargin=0.1)),
        "IntraPairVarianceLoss/default": (lambda: L.IntraPairVarianceLoss(), {}),
        "IntraPairVarianceLoss/eps": (lambda: L.IntraPairVarianceLoss(pos_eps=0.05, neg_eps=0.1), dict(posEps=0.05, negEps=0.1)),
        "NTXentLoss/default": (lambda: L.NTXentLoss(), {}),
        "NTXentLoss/temp": (lambda: L.NTXentLoss(temperature=0.5), dict(temperature=0.5)),
        "SupConLoss/default": (lambda: L.SupConLoss(), {}),
        "SupConLoss/temp": (lambda: L.SupConLoss(temperature=0.5), dict(temperature=0.5)),
        "SignalToNoiseRatioContrastiveLoss/default": (lambda: L.SignalToNoiseRatioContrastiveLoss(), {}),
        "SignalToNoiseRatioContrastiveLoss/margins": (lambda: L.SignalToNoiseRatioContrastiveLoss(pos_margin=0.2, neg_margin=0.8), dict(posMargin=0.2, negMargin=0.8)),
        "TupletMarginLoss/default": (lambda: L.TupletMarginLoss(), {}),
        "TupletMarginLoss/args": (lambda: L.TupletMarginLoss(margin=10, scale=16), dict(margin=10, scale=16)),
        "RankedListLoss/default": (lambda: L.RankedListLoss(margin=0.4, Tn=10), dict(margin=0.4, Tn=10)),
        "RankedListLoss/args": (lambda: L.RankedListLoss(margin=0.6, Tn=5, imbalance=0.3, alpha=0.9, Tp=2), dict(margin=0.6, Tn=5, imbalance=0.3, alpha=0.9, Tp=2)),
        "NCALoss/default": (lambda: L.NCALoss(), {}),
        "NCALoss/scale": (lambda: L.NCALoss(softmax_scale=4), dict(softmaxScale=4)),
        "NPairsLoss/default": (lambda: L.NPairsLoss(), {}),
        "NPairsLoss/unnormalized": (lambda: L.NPairsLoss(distance=distances.DotProductSimilarity()), dict(distance="dot")),
        "HistogramLoss/default": (lambda: L.HistogramLoss(), {}),
        "HistogramLoss/bins10": (lambda: L.HistogramLoss(n_bins=10), dict(nBins=10)),
        "FastAPLoss/default": (lambda: L.FastAPLoss(), {}),
        "FastAPLoss/bins20": (lambda: L.FastAPLoss(num_bins=20), dict(numBins=20)),
        "AngularLoss/default": (lambda: L.AngularLoss(), {}),
        "AngularLoss/alpha": (lambda: L.AngularLoss(alpha=30), dict(alpha=30)),
        "DynamicSoftMarginLoss/default": (lambda: L.DynamicSoftMarginLoss(), {}),
        "DynamicSoftMarginLoss/args": (lambda: L.DynamicSoftMarginLoss(min_val=-1.5, num_bins=5), dict(minVal=-1.5, numBins=5)),
        "ThresholdConsistentMarginLoss/default": (lambda: L.ThresholdConsistentMarginLoss(), {}),
        "ThresholdConsistentMarginLoss/args": (lambda: L.ThresholdConsistentMarginLoss(lambda_plus=0.5, lambda_minus=2, margin_plus=0.8, margin_minus=0.2),
                                               dict(lambdaPlus=0.5, lambdaMinus=2, marginPlus=0.8, marginMinus=0.2)),
    }
    no_ref = {"NCALoss", "NPairsLoss", "HistogramLoss", "FastAPLoss", "AngularLoss", "DynamicSoftMarginLoss",
              "ThresholdConsistentMarginLoss", "SupConLoss", "RankedListLoss", "SignalToNoiseRatioContrastiveLoss"}
    for case, (make, args) in pairlike.items():
        name = case.split("/")[0]
        ok = name not in no_ref
        run_loss(case, make, ALL if ok else STD, ref_ok=ok, args=args)

    # Losses taking no tuples, no ref.
    for v in ["O", "Ds", "Dq", "Iu", "Ib"]:
        run_loss(f"PNPLoss/{v}", lambda v=v: L.PNPLoss(variant=v), STD, args=dict(variant=v))
    run_loss("PNPLoss/Dq_args", lambda: L.PNPLoss(b=3, alpha=2, anneal=0.05, variant="Dq"), STD, args=dict(b=3, alpha=2, anneal=0.05, variant="Dq"))
    run_loss("PNPLoss/Ib_args", lambda: L.PNPLoss(b=3, alpha=2, anneal=0.05, variant="Ib"), STD, args=dict(b=3, alpha=2, anneal=0.05, variant="Ib"))
    run_loss("InstanceLoss/default", lambda: L.InstanceLoss(), STD)
    run_loss("InstanceLoss/gamma", lambda: L.InstanceLoss(gamma=8), STD, args=dict(gamma=8))

    # Classifier / proxy losses with explicit parameters (labels in [0, C)).
    W = lambda: p_("W", C, True)
    cls = {
        "ArcFaceLoss/default": (lambda: L.ArcFaceLoss(C, D), {"weight": W()}, {}),
        "ArcFaceLoss/args": (lambda: L.ArcFaceLoss(C, D, margin=10, scale=16), {"weight": W()}, dict(margin=10, scale=16)),
        "CosFaceLoss/default": (lambda: L.CosFaceLoss(C, D), {"weight": W()}, {}),
        "CosFaceLoss/args": (lambda: L.CosFaceLoss(C, D, margin=0.2, scale=16), {"weight": W()}, dict(margin=0.2, scale=16)),
        "SphereFaceLoss/default": (lambda: L.SphereFaceLoss(C, D), {"weight": W()}, {}),
        "SphereFaceLoss/args": (lambda: L.SphereFaceLoss(C, D, margin=2, scale=4), {"weight": W()}, dict(margin=2, scale=4)),
        "LargeMarginSoftmaxLoss/default": (lambda: L.LargeMarginSoftmaxLoss(C, D), {"weight": W()}, {}),
        "LargeMarginSoftmaxLoss/args": (lambda: L.LargeMarginSoftmaxLoss(C, D, margin=3, scale=2), {"weight": W()}, dict(margin=3, scale=2)),
        "NormalizedSoftmaxLoss/default": (lambda: L.NormalizedSoftmaxLoss(C, D), {"weight": W()}, {}),
        "NormalizedSoftmaxLoss/cosine": (lambda: L.NormalizedSoftmaxLoss(C, D, temperature=0.1, distance=distances.CosineSimilarity()), {"weight": W()},
                                         dict(temperature=0.1, distance="cosine")),
        "P2SGradLoss/default": (lambda: L.P2SGradLoss(D, C), {"weight": p_("weight", C, True)}, {}),
        "ProxyNCALoss/default": (lambda: L.ProxyNCALoss(C, D), {"proxies": p_("proxies", C, False)}, {}),
        "ProxyNCALoss/scale": (lambda: L.ProxyNCALoss(C, D, softmax_scale=3), {"proxies": p_("proxies", C, False)}, dict(softmaxScale=3)),
        "ProxyAnchorLoss/default": (lambda: L.ProxyAnchorLoss(C, D), {"proxies": p_("proxies", C, False)}, {}),
        "ProxyAnchorLoss/args": (lambda: L.ProxyAnchorLoss(C, D, margin=0.2, alpha=16), {"proxies": p_("proxies", C, False)}, dict(margin=0.2, alpha=16)),
        "SubCenterArcFaceLoss/default": (lambda: L.SubCenterArcFaceLoss(num_classes=C, embedding_size=D), {"weight": p_("W", C * 3, True)}, {}),
        "SoftTripleLoss/default": (lambda: L.SoftTripleLoss(C, D, centers_per_class=2), {"centers": p_("fc", C * 2, True)}, dict(centersPerClass=2)),
        "SoftTripleLoss/args": (lambda: L.SoftTripleLoss(C, D, centers_per_class=3, la=10, gamma=0.2, margin=0.05), {"centers": p_("fc", C * 3, True)},
                                dict(centersPerClass=3, la=10, gamma=0.2, margin=0.05)),
    }
    for case, (make, params, args) in cls.items():
        run_loss(case, make, ["mixed", "one_class", "dup", "distinct"], params=params, args=args)

    # Mined tuples fed to losses.
    mined = {
        "TripletMarginLoss/mined_semihard": (lambda: L.TripletMarginLoss(margin=0.2), lambda: miners.TripletMarginMiner(margin=0.2, type_of_triplets="semihard"), dict(margin=0.2)),
        "ContrastiveLoss/mined_pairmargin": (lambda: L.ContrastiveLoss(), lambda: miners.PairMarginMiner(), {}),
        "CircleLoss/mined_easyhard": (lambda: L.CircleLoss(), lambda: miners.BatchEasyHardMiner(), {}),
        "CircleLoss/mined_easyhard_pairs": (lambda: L.CircleLoss(), lambda: miners.BatchEasyHardMiner(pos_strategy="all", neg_strategy="hard"), {}),
        "MultiSimilarityLoss/mined_ms": (lambda: L.MultiSimilarityLoss(), lambda: miners.MultiSimilarityMiner(), {}),
        "MarginLoss/mined_batchhard": (lambda: L.MarginLoss(), lambda: miners.BatchHardMiner(), {}),
        "LiftedStructureLoss/mined_pairmargin": (lambda: L.LiftedStructureLoss(), lambda: miners.PairMarginMiner(pos_margin=0.5, neg_margin=1.0), {}),
        "NTXentLoss/mined_triplets": (lambda: L.NTXentLoss(), lambda: miners.TripletMarginMiner(margin=0.5), {}),
    }
    for case, (make, miner, args) in mined.items():
        run_loss(case, make, ["mixed", "dup", "big"], miner=miner, args=args)


# ---- distances ------------------------------------------------------------------------------------------------
DIST_RECORDS = []


def dist_cases():
    cases = {}
    for p in [1, 2, math.inf, 3]:
        for norm in [True, False]:
            for power in [1, 2]:
                pn = "inf" if p == math.inf else str(p)
                cases[f"LpDistance/p{pn}_norm{int(norm)}_pow{power}"] = (
                    lambda p=p, norm=norm, power=power: distances.LpDistance(p=p, normalize_embeddings=norm, power=power),
                    dict(p=pn, normalize=norm, power=power))
    for norm in [True, False]:
        cases[f"DotProductSimilarity/norm{int(norm)}"] = (lambda norm=norm: distances.DotProductSimilarity(normalize_embeddings=norm), dict(normalize=norm))
    cases["CosineSimilarity/default"] = (lambda: distances.CosineSimilarity(), {})
    cases["CosineSimilarity/pow2"] = (lambda: distances.CosineSimilarity(power=2), dict(power=2))
    cases["SNRDistance/default"] = (lambda: distances.SNRDistance(), {})
    for case, (make, args) in cases.items():
        for bname in ["mixed", "dup", "ref"]:
            bt = BATCHES[bname]
            e, _, r, _ = tensors(bname)
            dist = make()
            m = dist(e, r)
            coef = torch.tensor(np.cos(np.arange(m.numel()) * 0.7).reshape(m.shape).astype(np.float32))
            (m * coef).sum().backward()
            rec = dict(id=f"{case}@{bname}", case=case, batch=bname, args=args, matrix=fin(lst(m)), coef=lst(coef),
                       grad=fin(lst(e.grad)), ref_grad=fin(lst(r.grad)) if r is not None else None)
            DIST_RECORDS.append(rec)


# ---- miners ---------------------------------------------------------------------------------------------------
MINER_RECORDS = []


def miner_cases():
    M = miners
    cases = {
        "TripletMarginMiner/all": (lambda: M.TripletMarginMiner(margin=0.2, type_of_triplets="all"), dict(margin=0.2, type="all")),
        "TripletMarginMiner/hard": (lambda: M.TripletMarginMiner(margin=0.2, type_of_triplets="hard"), dict(margin=0.2, type="hard")),
        "TripletMarginMiner/semihard": (lambda: M.TripletMarginMiner(margin=0.2, type_of_triplets="semihard"), dict(margin=0.2, type="semihard")),
        "TripletMarginMiner/easy": (lambda: M.TripletMarginMiner(margin=0.2, type_of_triplets="easy"), dict(margin=0.2, type="easy")),
        "PairMarginMiner/default": (lambda: M.PairMarginMiner(), {}),
        "PairMarginMiner/args": (lambda: M.PairMarginMiner(pos_margin=0.5, neg_margin=1.0), dict(posMargin=0.5, negMargin=1.0)),
        "MultiSimilarityMiner/default": (lambda: M.MultiSimilarityMiner(), {}),
        "MultiSimilarityMiner/eps": (lambda: M.MultiSimilarityMiner(epsilon=0.3), dict(epsilon=0.3)),
        "BatchHardMiner/default": (lambda: M.BatchHardMiner(), {}),
        "AngularMiner/default": (lambda: M.AngularMiner(), {}),
        "AngularMiner/angle40": (lambda: M.AngularMiner(angle=40), dict(angle=40)),
        "HDCMiner/default": (lambda: M.HDCMiner(), {}),
        "HDCMiner/0.3": (lambda: M.HDCMiner(filter_percentage=0.3), dict(filterPercentage=0.3)),
    }
    strategies = ["easy", "semihard", "hard", "all"]
    for ps in ["easy", "hard", "all"]:
        for ns in strategies:
            cases[f"BatchEasyHardMiner/{ps}_{ns}"] = (lambda ps=ps, ns=ns: M.BatchEasyHardMiner(pos_strategy=ps, neg_strategy=ns), dict(pos=ps, neg=ns))
    cases["BatchEasyHardMiner/ranges"] = (lambda: M.BatchEasyHardMiner(pos_strategy="all", neg_strategy="all", allowed_pos_range=(0.2, 1.0), allowed_neg_range=(0.5, 1.5)),
                                          dict(pos="all", neg="all", posRange=[0.2, 1.0], negRange=[0.5, 1.5]))
    cases["BatchEasyHardMiner/ranges_hard"] = (lambda: M.BatchEasyHardMiner(pos_strategy="hard", neg_strategy="hard", allowed_pos_range=(0.2, 1.0), allowed_neg_range=(0.5, 1.5)),
                                               dict(pos="hard", neg="hard", posRange=[0.2, 1.0], negRange=[0.5, 1.5]))
    for case, (make, args) in cases.items():
        for bname in ["mixed", "one_class", "distinct", "dup", "big", "ref"]:
            e, y, r, ry = tensors(bname, grad=False)
            torch.manual_seed(0)
            try:
                tup = make()(e, y, r, ry)
            except Exception as ex:
                continue
            MINER_RECORDS.append(dict(id=f"{case}@{bname}", case=case, batch=bname, args=args, tuples=[t.tolist() for t in tup]))


# ---- accuracy -------------------------------------------------------------------------------------------------
METRIC_RECORDS = []
METRICS = ["precision_at_1", "r_precision", "mean_average_precision_at_r", "mean_average_precision", "mean_reciprocal_rank"]


def metric_cases():
    knn = CustomKNN(distances.LpDistance(normalize_embeddings=False))
    rng = np.random.RandomState(7)
    q = f32(rng.randn(20, 3))
    ql = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 4, 5, 5, 5, 6, 6]
    ref = f32(rng.randn(15, 3))
    rl = [0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 3, 5, 6, 7, 0]
    qd = q.copy()
    qd[1] = qd[0]
    qd[5] = qd[4]
    sets = {
        "self": dict(query=q, qlabels=ql),
        "dups": dict(query=qd, qlabels=ql),
        "separate": dict(query=q, qlabels=ql, ref=ref, rlabels=rl),
        "ref_includes_query": dict(query=q[:8], qlabels=ql[:8], ref=np.concatenate([q[:8], ref]), rlabels=ql[:8] + rl, ref_includes_query=True),
    }
    for sname, s in sets.items():
        for k in [None, "max_bin_count", 3, 1]:
            for avg in [False, True]:
                calc = AccuracyCalculator(include=METRICS, k=k, avg_of_avgs=avg, knn_func=knn, device=torch.device("cpu"))
                res = calc.get_accuracy(torch.tensor(s["query"]), torch.tensor(s["qlabels"]),
                                        torch.tensor(s["ref"]) if "ref" in s else None,
                                        torch.tensor(s["rlabels"]) if "ref" in s else None,
                                        ref_includes_query=s.get("ref_includes_query", False))
                rec = dict(id=f"{sname}/k={k}/avg={int(avg)}", set=sname, k=k, avg_of_avgs=avg, results={m: float(res[m]) for m in METRICS})
                if not avg:
                    calc_pc = AccuracyCalculator(include=METRICS, k=k, return_per_class=True, knn_func=knn, device=torch.device("cpu"))
                    pc = calc_pc.get_accuracy(torch.tensor(s["query"]), torch.tensor(s["qlabels"]),
                                              torch.tensor(s["ref"]) if "ref" in s else None,
                                              torch.tensor(s["rlabels"]) if "ref" in s else None,
                                              ref_includes_query=s.get("ref_includes_query", False))
                    rec["per_class"] = {m: fin([float(x) for x in pc[m]]) for m in METRICS}
                METRIC_RECORDS.append(rec)
    return {n: dict(query=s["query"].tolist(), qlabels=s["qlabels"], ref=s["ref"].tolist() if "ref" in s else None,
                    rlabels=s.get("rlabels"), ref_includes_query=s.get("ref_includes_query", False)) for n, s in sets.items()}


def main():
    loss_cases()
    dist_cases()
    miner_cases()
    metric_sets = metric_cases()
    out = dict(
        pml_version=pml.__version__, torch_version=torch.__version__, dim=D,
        batches={k: dict(emb=v["emb"].tolist(), labels=v["labels"],
                         ref_emb=v["ref_emb"].tolist() if "ref_emb" in v else None, ref_labels=v.get("ref_labels"))
                 for k, v in BATCHES.items()},
        losses=LOSS_RECORDS, distances=DIST_RECORDS, miners=MINER_RECORDS, metric_sets=metric_sets, metrics=METRIC_RECORDS)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pml_fixtures.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(fin(out), f, indent=None, separators=(",", ":"), allow_nan=False)
    os.replace(tmp, path)
    print(f"{len(LOSS_RECORDS)} loss, {len(DIST_RECORDS)} distance, {len(MINER_RECORDS)} miner, {len(METRIC_RECORDS)} metric records -> {path}")


if __name__ == "__main__":
    main()
