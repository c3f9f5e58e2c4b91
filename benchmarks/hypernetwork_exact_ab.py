"""The hypernetwork of an older commit against this checkout's, trained side by side for 12 steps on random-init
torchvision models and budgets (a sparsity, min_keep, a MACs target, uniform allocation, round_to, the ablations' bodies
and inputs): the masks at every step, the hypernetwork's final state and the prompt must be the same bit for bit. For
changes meant to make a step faster without changing what it computes.

    python benchmarks/hypernetwork_exact_ab.py f42e02c             # every case
    python benchmarks/hypernetwork_exact_ab.py f42e02c resnet50    # the cases of one model
"""
import sys, tempfile, torch, torchvision
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from step_ab import import_commit
import pass_nb.hypernetwork, pass_nb.masks, pass_nb.prompts
if len(sys.argv) < 2: sys.exit(__doc__)
base = sys.argv[1]
old = import_commit(base, Path(tempfile.mkdtemp()))
new = {'hypernetwork': pass_nb.hypernetwork, 'masks': pass_nb.masks, 'prompts': pass_nb.prompts}
def run(pkg, arch, budget_kw, steps, size=32, **hkw):
    torch.manual_seed(0)
    bb = getattr(torchvision.models, arch)()
    G = pkg['masks'].ChannelGroups(bb, torch.rand(1, 3, size, size))
    h = pkg['hypernetwork'].HyperNetwork(G, pkg['hypernetwork'].Budget(**budget_kw), size, **hkw).train()
    prompt = pkg['prompts'].PadPrompt(size, pad=3)
    opt = torch.optim.AdamW(h.parameters(), 3e-2, fused=True)
    popt = torch.optim.SGD(prompt.parameters(), 0.5)
    out = []
    for i in range(steps):
        torch.manual_seed(100 + i)
        ms = h(prompt)
        loss = sum((m * torch.randn_like(m)).sum() for m in ms)
        loss.backward(); opt.step(); popt.step(); opt.zero_grad(); popt.zero_grad()
        out.append(torch.cat([m.detach() for m in ms]))
    h.eval(); out.append(torch.cat(h(prompt)))
    return out, h.state_dict(), [p.detach().clone() for p in prompt.parameters()]
cases = [('resnet18', dict(sparsity=0.5), {}), ('resnet18', dict(sparsity=0.7, min_keep=3), {}),
         ('resnet18', dict(target_macs=0.5, macs_every=4), {}), ('resnet18', dict(sparsity=0.5, allocation='uniform'), {}),
         ('resnet18', dict(sparsity=0.95), {}), ('resnet18', dict(sparsity=0.5, round_to=8), {}),
         ('resnet18', dict(sparsity=0.5), dict(body='mlp')), ('resnet18', dict(sparsity=0.5), dict(inputs='prompt')),
         ('resnet18', dict(sparsity=0.5), dict(signed=True, prior=False)),
         ('resnet50', dict(sparsity=0.5), {}), ('mobilenet_v3_small', dict(target_macs=0.4, macs_every=3), {}),
         ('shufflenet_v2_x0_5', dict(sparsity=0.6), {})]
bad = 0
only = sys.argv[2] if len(sys.argv) > 2 else ''
for arch, bk, hk in [c for c in cases if only in c[0]]:
    a, b = run(old, arch, bk, 12, **hk), run(new, arch, bk, 12, **hk)
    same_masks = all(torch.equal(x, y) for x, y in zip(a[0], b[0]))
    same_state = all(torch.equal(a[1][k], b[1][k]) for k in a[1] if isinstance(a[1][k], torch.Tensor))
    same_prompt = all(torch.equal(x, y) for x, y in zip(a[2], b[2]))
    ok = same_masks and same_state and same_prompt; bad += not ok
    moved = int((b[0][0] != b[0][-2]).sum())  # units whose mask the training moved: the check is not of still masks
    print(f'{arch:20s} {str(bk):45s} {str(hk):30s} masks {same_masks} state {same_state} prompt {same_prompt} '
          f'(units moved in training: {moved})', flush=True)
print('ALL EXACT' if not bad else f'{bad} CASES DIFFER')
sys.exit(bool(bad))
