"""One-seed screens of PASS variants in the mask-quality regime (benchmarks/README.md §8), run through mask_quality.py.

    python mask_quality_screens.py fitted_head --seeds 0 --methods pass --max-eval 2000 --out mq_fmnist_fit_screen
    python mask_quality_screens.py prompted_probe --seeds 0 --methods pass --max-eval 2000 --out mq_fmnist_prompt_screen
    DISTILL=1.0 python mask_quality_screens.py distill --seeds 0 --methods pass vpns --max-eval 2000 --out mq_fmnist_distill_screen

`fitted_head`: stage 1's label map starts as a logistic regression fitted on the dense frozen network's ImageNet
logits (instead of FLM's one-hot rows). `prompted_probe`: PASS's masks are also probed with the prompt learned with
them in stage 1 (column `probe_with_prompt`). `distill`: the learned methods' stage-1 loss gains a feature-preservation
term, DISTILL × the mean squared distance between the masked network's pooled features and the dense network's (batch
statistics, no prompt), over the dense features' mean square. `rank_prior`: PASS's prior (its start) is torch-pruning's group-L1 importance turned into
normal quantiles of its rank within each group, so that a global threshold keeps the same share of every group (uniform
L1's masks) until stage 1 moves the scores; `rank_start` probes that start without stage 1. `l1_order`: PASS's prior keeps its values (the z-scored root-layer
magnitude, so the same shares under a global threshold) but hands them to the units in the order of torch-pruning's
group-L1 importance; `l1_order_start` probes that start (with PROMPT=none, stage 1 runs without a prompt). `cost_scaled`: the learned part of each unit's score (all but
the prior) is scaled by the median unit's MACs cost over its group's unit cost, so that stage 1 moves costly units less. `perturbed`: `perturbed_start` is the `l1_order` start with random noise on its
scores, as strong as makes as many units differ as PASS's stage 1 changed from that start (a control: is stage 1's move
worth more than a random one of the same size?). `feature_head`: stage 1's label map is the probe's own kind of head, a
logistic regression on the pooled features (fitted on the start masks' features, refitted at the end of every epoch on
the features the epoch saw, fixed in between), so stage 1 optimises what the probe measures. `group_normalised`: each
group's score gradient is divided by a running mean of its size before it reaches the hypernetwork's shared
parameters, so every group steers them alike (the first groups' gradients are 10-100x larger otherwise). `annealed`: the
MACs target starts at 1 (dense) and falls linearly to the run's target over the first half of stage 1. Every other option is mask_quality.py's; its longer stage 1 is its own
`--epochs`.
"""
import copy, os, sys
import torch
import mask_quality as mq
from pass_nb.data import make_loader
from pass_nb.hypernetwork import HyperNetwork, prompt_sensitivity
from pass_nb.label_mapping import LinearHead
from pass_nb.masks import ChannelGroups
from pass_nb.models import create_model, model_spec
from pass_nb.prompts import PromptedModel, make_prompt
from pass_nb.training import linear_probe, train_stage1, _classifier
from pass_nb.baselines import baseline_scores

SPLITS, LEARNED_MASKS = {}, mq.learned_masks


def folded_logistic(X, y, C=0.5)->tuple:
    "A logistic regression on standardised features (as `linear_probe` fits it), folded into (weight, bias) on the raw features."
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    X, y = (v.numpy() if torch.is_tensor(v) else v for v in (X, y))
    sc = StandardScaler().fit(X)
    clf = LogisticRegression(C=C, max_iter=300, random_state=0).fit(sc.transform(X), y)
    W = clf.coef_ / sc.scale_
    return torch.tensor(W, dtype=torch.float32), torch.tensor(clf.intercept_ - W @ sc.mean_, dtype=torch.float32)


def fitted_head(model, loader, num_source, num_target, C=0.5):
    "A linear map over the source logits that starts as a logistic regression fitted on them (standardised, then folded)."
    X, Y = [], []
    model.eval()
    with torch.inference_mode():
        for x, y in loader: X.append(model.source_logits(x)); Y.append(y)
    h = LinearHead(num_source, num_target)
    W, b = folded_logistic(torch.cat(X), torch.cat(Y), C)
    with torch.no_grad(): h.fc.weight.copy_(W); h.fc.bias.copy_(b)
    return h


def base_model_fitted(a, data, seed):
    spec = model_spec(a.model)
    torch.manual_seed(seed)
    bb = create_model(spec.name, pretrained=True).eval()
    model = PromptedModel(make_prompt('pad', a.size, pad=max(1, a.size // 8)), bb, None, spec.mean, spec.std)
    model.label_map = fitted_head(model, make_loader(data.train, 128), spec.num_classes, data.num_classes)
    return model, spec


def learned_masks_prompted(method, base, spec, budget, size, train_dl, val_dl, cfg, run_dir, mask_at='all', hnet_kw=None):
    "PASS's stage 1 as in mask_quality.py, then its masks probed with the learned prompt too."
    if method != 'pass': return LEARNED_MASKS(method, base, spec, budget, size, train_dl, val_dl, cfg, run_dir, mask_at, hnet_kw)
    model = copy.deepcopy(base)
    groups = ChannelGroups(model.backbone, torch.rand(1, 3, size, size), mask_at=mask_at)
    gen = HyperNetwork(groups, budget, size, mean=spec.mean, std=spec.std, **(hnet_kw or {}))
    r = train_stage1(model, groups, gen, train_dl, val_dl, cfg, run_dir)
    masks = [m.cpu() for m in r.masks]
    pt, vd = make_loader(SPLITS['data'].train, 128), make_loader(SPLITS['data'].val, 128)
    return masks, {'stage1_val_acc': r.validation.val_acc,
                   'probe_with_prompt': linear_probe(model, groups, masks, pt, vd, use_prompt=True, seed=cfg.seed),
                   'prompt_units_flipped': prompt_sensitivity(gen, model.prompt)['units_flipped']}


class _AddGrad(torch.autograd.Function):
    "Identity forward; backward adds the gradient of `weight` × ||f − t||² / ||t||² (batch means) with respect to f."
    @staticmethod
    def forward(ctx, f, t, weight):
        ctx.save_for_backward(f, t); ctx.weight = weight
        return f.view_as(f)
    @staticmethod
    def backward(ctx, g):
        f, t = ctx.saved_tensors
        return g + ctx.weight * 2 * (f - t) / (t.pow(2).sum(1).mean() * len(f)), None, None


def with_distillation(model, weight):
    "Hooks that add the feature-preservation term to `model`'s stage-1 loss while it trains; returns the hook handles."
    teacher, saved = copy.deepcopy(model.backbone).train(), {}
    tcls = _classifier(teacher)
    th = tcls.register_forward_pre_hook(lambda m, i: saved.__setitem__('t', i[0].detach().flatten(1)))
    def grab(m, i):
        if model.training:
            with torch.no_grad(): teacher(model.normalize(i[0]))
    def inject(m, i):
        if not (model.training and torch.is_grad_enabled() and 't' in saved): return None
        f = i[0].flatten(1)
        return (_AddGrad.apply(f, saved.pop('t'), weight).view_as(i[0]),)
    return [th, model.register_forward_pre_hook(grab), _classifier(model.backbone).register_forward_pre_hook(inject)]


def train_stage1_distilled(model, *a, **k):
    "`train_stage1` with the feature-preservation term in the loss (the hooks go when it returns)."
    hooks = with_distillation(model, float(os.environ.get('DISTILL', '1.0')))
    try: return train_stage1(model, *a, **k)
    finally:
        for h in hooks: h.remove()


def ranks_of(v:torch.Tensor)->torch.Tensor:
    "Each entry's rank in `v`, 0 for the smallest (ties broken by position)."
    r = torch.empty(len(v), dtype=torch.long); r[v.argsort()] = torch.arange(len(v))
    return r


def rank_normal(v:torch.Tensor)->torch.Tensor:
    "Normal quantiles of the ranks of `v` (ties broken by position): the same values in every group of the same size."
    return torch.distributions.Normal(0., 1.).icdf((ranks_of(v).to(v.dtype) + 0.5) / len(v))


def with_prior(hnet, new_prior):
    "Replace `hnet`'s prior of group i by `new_prior(i, prior, device)` (prior: the z-scored root-layer magnitude, or None)."
    stats = hnet._stats
    def _stats(i, in_mask, device):
        x, prior = stats(i, in_mask, device)
        return x, new_prior(i, prior, device)
    hnet._stats = _stats
    return hnet


def with_rank_prior(hnet):
    "Replace `hnet`'s prior (the z-scored root-layer magnitude) by the rank-normalised group-L1 importance."
    priors = [rank_normal(s.float()) for s in baseline_scores('group_l1', hnet.groups)]
    return with_prior(hnet, lambda i, prior, device: priors[i].to(device))


def with_l1_order(hnet):
    "Keep `hnet`'s prior values (the z-scored root-layer magnitude under the input mask), but hand them out in group-L1 order."
    ranks = [ranks_of(s.float()) for s in baseline_scores('group_l1', hnet.groups)]
    return with_prior(hnet, lambda i, prior, device: None if prior is None else prior.sort().values[ranks[i].to(device)])


def l1_order_scores(groups):
    "z-scored root magnitudes in group-L1 order (the prior of `with_l1_order` without an input mask)."
    z = [(v - v.mean()) / v.std() for v in mq.unit_magnitudes(groups)]
    return [zi.sort().values[ranks_of(s.float())] for zi, s in zip(z, baseline_scores('group_l1', groups))]


def l1_order_start(groups, budget):
    "The start of `with_l1_order` without stage 1, under the global budget."
    return budget.final(groups, l1_order_scores(groups))


FLIPS = {0.7: 260, 0.5: 326, 0.3: 455}  # units PASS's stage 1 changed from this start (seed 0, benchmarks/README.md §8)


def perturbed_start(groups, budget, seed):
    "The `l1_order` start with Gaussian noise on its scores, as strong as makes about as many units differ as stage 1 did."
    scores = l1_order_scores(groups)
    start, want = budget.final(groups, scores), FLIPS[budget.target_macs]
    best = None
    for sigma in [0.02 * 1.25 ** k for k in range(25)]:
        gen = torch.Generator().manual_seed(seed)
        masks = budget.final(groups, [s + sigma * torch.randn(len(s), generator=gen) for s in scores])
        flips = sum(int((a != b).sum()) for a, b in zip(start, masks))
        if best is None or abs(flips - want) < abs(best[0] - want): best = (flips, sigma, masks)
        if flips > want: break
    print(f'perturbed start: sigma {best[1]:.3f}, {best[0]} units differ (stage 1: {want})', flush=True)
    return best[2]


class L1OrderHyperNetwork(HyperNetwork):
    def __init__(self, *a, **k): super().__init__(*a, **k); with_l1_order(self)


def with_cost_scaled_heads(hnet):
    "Scale the learned part of each unit's score by median unit cost / its group's unit cost (MACs), the prior unscaled."
    heads, costs = hnet.heads, torch.tensor(hnet.groups.unit_costs())
    per_unit = costs[heads.unit_group]
    w = (per_unit.median() / costs).clamp(0.05, 20.)
    def learned(code, a=0, b=None):
        return (heads.embed[a:b] * code[:, :heads.rank]).sum(1) + heads.bias[a:b] + code[:, heads.rank + 1]
    def forward(states, priors=None):
        code = heads.code(states)[heads.unit_group]
        s = learned(code) * w[heads.unit_group]
        if priors is not None: s = s + torch.cat(priors) * code[:, heads.rank].exp()
        return list(s.split(heads.n_units))
    def group_scores(i, h, prior=None):
        a, b = heads.offsets[i], heads.offsets[i + 1]
        code = heads.code(h).expand(b - a, -1)
        s = learned(code, a, b) * w[i]
        return s if prior is None else s + prior * code[0, heads.rank].exp()
    heads.forward, heads.group_scores = forward, group_scores
    return hnet


class CostScaledHyperNetwork(HyperNetwork):
    def __init__(self, *a, **k): super().__init__(*a, **k); with_cost_scaled_heads(self)


class GroupNormalisedHyperNetwork(HyperNetwork):
    "Each group's score gradient is divided by a running mean of its size, so every group steers the shared parameters alike."
    def scores(self, prompt):
        out = super().scores(prompt)
        if torch.is_grad_enabled():
            ema = self.__dict__.setdefault('_grad_size', {})
            def normalise(g, i):
                size = float(g.abs().mean())
                ema[i] = size if i not in ema else 0.9 * ema[i] + 0.1 * size
                return g / max(ema[i], 1e-12)
            for i, s in enumerate(out):
                if s.requires_grad: s.register_hook(lambda g, i=i: normalise(g, i))
        return out


class RankPriorHyperNetwork(HyperNetwork):
    def __init__(self, *a, **k): super().__init__(*a, **k); with_rank_prior(self)


def base_model_no_prompt(a, data, seed):
    "mask_quality.py's base model without a prompt (NoPrompt): stage 1 learns the masks and the label map only."
    model, spec = BASE_MODEL(a, data, seed)
    model.prompt = make_prompt('none', a.size)
    return model, spec


BASE_MODEL = mq.base_model


class FeatureHead(torch.nn.Module):
    "A label map that ignores the source logits and classifies the pooled features a hook stashed (fixed weights: buffers)."
    def __init__(self, n_in, n_out):
        super().__init__()
        self.register_buffer('W', torch.zeros(n_out, n_in)); self.register_buffer('b', torch.zeros(n_out))
        self.stash = {}
    def forward(self, source_logits): return self.stash['f'] @ self.W.T + self.b


def fit_head(head, X, y, C=0.5):
    "Fit a logistic regression on standardised features (as `linear_probe` does) and fold it into `head`."
    W, b = folded_logistic(X, y, C)
    head.W.copy_(W); head.b.copy_(b)


class _RecordingF:
    "torch.nn.functional, whose cross_entropy pairs the labels with the features the hook stashed in training."
    def __init__(self, pending, pairs): self.pending, self.pairs = pending, pairs
    def __getattr__(self, k): return getattr(torch.nn.functional, k)
    def cross_entropy(self, out, y, *a, **k):
        f = self.pending.pop('f', None)
        if f is not None and len(f) == len(y): self.pairs.append((f, y.detach().cpu()))
        return torch.nn.functional.cross_entropy(out, y, *a, **k)


def train_stage1_feature_head(model, groups, gen, train_dl, val_dl, cfg, run_dir, **kw):
    """Stage 1 with the probe's own head as the label map: a logistic regression on the pooled features, fitted on the
    start masks' features, then refitted at the end of every epoch on the features that epoch saw (the head is fixed in between)."""
    import pass_nb.training as T
    from pass_nb.training import pooled_features, recalibrate_bn
    probe_dl = make_loader(train_dl.dataset, 128)
    with torch.no_grad(): start = [m.detach() for m in gen.eval()(model.prompt)]
    gen.train()
    copy_ = copy.deepcopy(model)
    with groups.apply_masks(start, model=copy_.backbone):
        recalibrate_bn(copy_, probe_dl); X, y = pooled_features(copy_, probe_dl)
    head = FeatureHead(X.shape[1], int(y.max()) + 1); fit_head(head, X, y)
    model.label_map = head
    pending, pairs = {}, []
    def stash(m, i):
        f = i[0].flatten(1); head.stash['f'] = f
        if model.training: pending['f'] = f.detach().cpu()
    hook = _classifier(model.backbone).register_forward_pre_hook(stash)
    steps = len(train_dl)
    def refit(state):
        if state.step == steps - 1 and pairs:
            fit_head(head, torch.cat([f for f, _ in pairs]), torch.cat([y for _, y in pairs])); pairs.clear()
    old_F, T.F = T.F, _RecordingF(pending, pairs)
    try: return train_stage1(model, groups, gen, train_dl, val_dl, cfg, run_dir, on_step=refit, **kw)
    finally: T.F = old_F; hook.remove()


def train_stage1_annealed(model, groups, gen, train_dl, val_dl, cfg, run_dir, **kw):
    """Stage 1 with an annealed budget: the MACs target falls linearly from 1 (dense) to the run's target over the first
    half of stage 1 (re-searched every ANNEAL_EVERY steps), then stays there; works for PASS and structured VPNs."""
    target, steps = gen.budget.target_macs, max(1, cfg.stage1_epochs * len(train_dl) // 2)
    every = int(os.environ.get('ANNEAL_EVERY', 4))
    def anneal(state):
        t = state.epoch * len(train_dl) + state.step + 1  # the step that comes next
        if t % every and t < steps: return
        new = target + (1 - target) * max(0.0, 1 - t / steps)
        if new != gen.budget.target_macs: gen.budget.target_macs, gen.budget._counts = new, None  # re-search now
    gen.budget.target_macs, gen.budget._counts = 1.0, None
    try: return train_stage1(model, groups, gen, train_dl, val_dl, cfg, run_dir, on_step=anneal, **kw)
    finally: gen.budget.target_macs = target


def remember_data(*a, **k):
    SPLITS['data'] = d = get_dataset(*a, **k)
    return d


if __name__ == '__main__':
    variant = sys.argv.pop(1) if len(sys.argv) > 1 else ''
    if variant == 'fitted_head': mq.base_model = base_model_fitted
    elif variant == 'distill': mq.train_stage1 = train_stage1_distilled
    elif variant == 'rank_prior':
        mq.HyperNetwork = RankPriorHyperNetwork
        mq.ONE_SHOT, mq.METHODS = mq.ONE_SHOT + ('rank_start',), mq.METHODS + ('rank_start',)
        one_shot = mq.one_shot_masks
        mq.one_shot_masks = lambda method, groups, budget, seed: (
            budget.final(groups, [rank_normal(s.float()) for s in baseline_scores('group_l1', groups)]) if method == 'rank_start'
            else one_shot(method, groups, budget, seed))
    elif variant == 'l1_order':
        mq.HyperNetwork = L1OrderHyperNetwork
        if os.environ.get('PROMPT') == 'none': mq.base_model = base_model_no_prompt
        mq.ONE_SHOT, mq.METHODS = mq.ONE_SHOT + ('l1_order_start',), mq.METHODS + ('l1_order_start',)
        one_shot = mq.one_shot_masks
        mq.one_shot_masks = lambda method, groups, budget, seed: (
            l1_order_start(groups, budget) if method == 'l1_order_start' else one_shot(method, groups, budget, seed))
    elif variant == 'perturbed':
        mq.ONE_SHOT, mq.METHODS = mq.ONE_SHOT + ('perturbed_start',), mq.METHODS + ('perturbed_start',)
        one_shot = mq.one_shot_masks
        mq.one_shot_masks = lambda method, groups, budget, seed: (
            perturbed_start(groups, budget, seed) if method == 'perturbed_start' else one_shot(method, groups, budget, seed))
    elif variant == 'group_normalised': mq.HyperNetwork = GroupNormalisedHyperNetwork
    elif variant == 'feature_head': mq.train_stage1 = train_stage1_feature_head
    elif variant == 'annealed': mq.train_stage1 = train_stage1_annealed
    elif variant == 'cost_scaled': mq.HyperNetwork = CostScaledHyperNetwork
    elif variant == 'prompted_probe':
        get_dataset, mq.get_dataset, mq.learned_masks = mq.get_dataset, remember_data, learned_masks_prompted
    else: sys.exit(f'usage: python mask_quality_screens.py {{fitted_head,prompted_probe,distill,rank_prior,l1_order,cost_scaled,perturbed,feature_head,group_normalised,annealed}} [mask_quality.py options], got {variant!r}')
    mq.main()
