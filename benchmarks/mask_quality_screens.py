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
L1's masks) until stage 1 moves the scores; `rank_start` probes that start without stage 1. Every other option is mask_quality.py's; its longer stage 1 is its own
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


def fitted_head(model, loader, num_source, num_target, C=0.5):
    "A linear map over the source logits that starts as a logistic regression fitted on them (standardised, then folded)."
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    X, Y = [], []
    model.eval()
    with torch.inference_mode():
        for x, y in loader: X.append(model.source_logits(x)); Y.append(y)
    X, Y = torch.cat(X).numpy(), torch.cat(Y).numpy()
    sc = StandardScaler().fit(X)
    clf = LogisticRegression(C=C, max_iter=300, random_state=0).fit(sc.transform(X), Y)
    W = clf.coef_ / sc.scale_
    h = LinearHead(num_source, num_target)
    with torch.no_grad():
        h.fc.weight.copy_(torch.tensor(W, dtype=torch.float32))
        h.fc.bias.copy_(torch.tensor(clf.intercept_ - W @ sc.mean_, dtype=torch.float32))
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
    masks = [m.cpu() for m in r['masks']]
    pt, vd = make_loader(SPLITS['data'].train, 128), make_loader(SPLITS['data'].val, 128)
    return masks, {'stage1_val_acc': r['val_acc'],
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


def rank_normal(v:torch.Tensor)->torch.Tensor:
    "Normal quantiles of the ranks of `v` (ties broken by position): the same values in every group of the same size."
    r = torch.empty_like(v); r[v.argsort()] = torch.arange(len(v), dtype=v.dtype)
    return torch.distributions.Normal(0., 1.).icdf((r + 0.5) / len(v))


def with_rank_prior(hnet):
    "Replace `hnet`'s prior (the z-scored root-layer magnitude) by the rank-normalised group-L1 importance."
    priors = [rank_normal(s.float()) for s in baseline_scores('group_l1', hnet.groups)]
    stats = hnet._stats
    def _stats(i, in_mask, device):
        x, _ = stats(i, in_mask, device)
        return x, priors[i].to(device)
    hnet._stats = _stats
    return hnet


class RankPriorHyperNetwork(HyperNetwork):
    def __init__(self, *a, **k): super().__init__(*a, **k); with_rank_prior(self)


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
    elif variant == 'prompted_probe':
        get_dataset, mq.get_dataset, mq.learned_masks = mq.get_dataset, remember_data, learned_masks_prompted
    else: sys.exit(f'usage: python mask_quality_screens.py {{fitted_head,prompted_probe,distill,rank_prior}} [mask_quality.py options], got {variant!r}')
    mq.main()
