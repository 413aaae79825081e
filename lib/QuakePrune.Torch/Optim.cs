namespace QuakePrune.Torch;

public static partial class torch
{
    /// <summary>
    /// torch.optim: optimisers written over in-place libtorch ops, with PyTorch 1.13's exact update rules.
    /// </summary>
    public static partial class optim
    {
        /// <summary>
        /// One parameter group. State (momentum buffers, Adam moments, step counts) is exported and imported as named
        /// tensors "{parameter name}.{state}" - the parameter names are the model's dotted names when built from
        /// named_parameters(), else "0", "1", ... - so a run can resume from a safetensors file.
        /// </summary>
        public abstract class Optimizer
        {
            protected readonly IReadOnlyList<Tensor> parameters;
            protected readonly IReadOnlyList<string> names;

            protected Optimizer(IEnumerable<(string name, Tensor parameter)> named, double lr)
            {
                if (lr < 0)
                    throw new ArgumentOutOfRangeException(nameof(lr), lr, "learning rate must not be negative");
                var list = named.ToList();
                if (list.Count == 0)
                    throw new ArgumentException("an optimiser needs at least one parameter");
                var duplicate = list.GroupBy(p => p.name).FirstOrDefault(g => g.Count() > 1);
                if (duplicate is not null)
                    throw new ArgumentException($"parameter name '{duplicate.Key}' appears twice");
                parameters = list.Select(p => p.parameter).ToList();
                names = list.Select(p => p.name).ToList();
                this.lr = initial_lr = lr;
            }

            protected static IEnumerable<(string, Tensor)> Numbered(IEnumerable<Tensor> parameters) =>
                parameters.Select((p, i) => (i.ToString(System.Globalization.CultureInfo.InvariantCulture), p));

            /// <summary>The current learning rate (schedulers set it).</summary>
            public double lr { get; set; }

            /// <summary>The learning rate given at construction: schedulers compute from it.</summary>
            public double initial_lr { get; }

            public IReadOnlyList<Tensor> parameter_list => parameters;

            /// <summary>Applies one update to every parameter that has a gradient.</summary>
            public void step()
            {
                using var _ = no_grad();
                for (var i = 0; i < parameters.Count; i++)
                {
                    using var gradient = parameters[i].grad;
                    if (gradient is not null)
                        Update(i, parameters[i], gradient);
                }
            }

            protected abstract void Update(int index, Tensor parameter, Tensor gradient);

            public void zero_grad(bool set_to_none = true)
            {
                foreach (var p in parameters)
                {
                    if (set_to_none)
                    {
                        p.grad = null;
                        continue;
                    }
                    using var g = p.grad;
                    g?.zero_();
                }
            }

            /// <summary>The per-parameter state names this optimiser keeps ("momentum_buffer", "exp_avg"...).</summary>
            protected abstract IReadOnlyList<string> StateNames { get; }

            protected abstract Tensor? GetState(int index, string state);
            protected abstract void SetState(int index, string state, Tensor value);

            /// <summary>The live state tensors by name; they belong to the optimiser (do not dispose them).</summary>
            public OrderedDictionary<string, Tensor> state_dict()
            {
                var result = new OrderedDictionary<string, Tensor>();
                for (var i = 0; i < parameters.Count; i++)
                    foreach (var state in StateNames)
                        if (GetState(i, state) is { } value)
                            result.Add($"{names[i]}.{state}", value);
                return result;
            }

            /// <summary>
            /// Restores state exported by <see cref="state_dict"/> (copies); unknown names or wrong shapes are errors.
            /// </summary>
            public void load_state_dict(IReadOnlyDictionary<string, Tensor> state)
            {
                var index = names.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i);
                var problems = new List<string>();
                var accepted = new List<(int index, string state, Tensor value)>();
                foreach (var (key, value) in state)
                {
                    var dot = key.LastIndexOf('.');
                    var (param, name) = dot < 0 ? ("", key) : (key[..dot], key[(dot + 1)..]);
                    if (!index.TryGetValue(param, out var i) || !StateNames.Contains(name))
                    {
                        problems.Add($"unexpected state '{key}'");
                        continue;
                    }
                    var expected = name == "step" ? [] : parameters[i].shape;
                    if (!expected.SequenceEqual(value.shape))
                        problems.Add(
                            $"'{key}' has shape [{string.Join(", ", value.shape)}], expected [{string.Join(", ", expected)}]"
                        );
                    else
                        accepted.Add((i, name, value));
                }
                for (var i = 0; i < parameters.Count; i++)
                {
                    var present = StateNames.Count(s => state.ContainsKey($"{names[i]}.{s}"));
                    if (present != 0 && present != StateNames.Count)
                        problems.Add(
                            $"parameter '{names[i]}' has only part of its state ({string.Join(", ", StateNames)} needed)"
                        );
                }
                if (problems.Count > 0)
                    throw new InvalidDataException(
                        $"error loading the state of {GetType().Name}: {string.Join("; ", problems)}"
                    );
                using var _ = no_grad();
                foreach (var (i, name, value) in accepted)
                {
                    var copy = value.to(name == "step" ? ScalarType.Float32 : parameters[i].dtype);
                    var moved = copy.to(parameters[i].device);
                    if (!ReferenceEquals(copy, moved))
                        copy.Dispose();
                    using var owned = moved.clone();
                    moved.Dispose();
                    SetState(i, name, owned.clone().DetachFromDisposeScope());
                }
            }

            /// <summary>Frees the optimiser's state tensors.</summary>
            public void DisposeState()
            {
                foreach (var value in state_dict().Values)
                    value.Dispose();
            }
        }

        /// <summary>
        /// Stochastic gradient descent with momentum, dampening, Nesterov and (L2) weight decay, as torch.optim.SGD.
        /// </summary>
        public sealed class SGD : Optimizer
        {
            private readonly Tensor?[] momentumBuffers;

            public SGD(
                IEnumerable<(string name, Tensor parameter)> named_parameters,
                double lr,
                double momentum = 0,
                double dampening = 0,
                double weight_decay = 0,
                bool nesterov = false
            )
                : base(named_parameters, lr)
            {
                if (nesterov && (momentum <= 0 || dampening != 0))
                    throw new ArgumentException("Nesterov momentum needs a momentum and zero dampening");
                (this.momentum, this.dampening, this.weight_decay, this.nesterov) = (
                    momentum,
                    dampening,
                    weight_decay,
                    nesterov
                );
                momentumBuffers = new Tensor?[parameters.Count];
            }

            public SGD(
                IEnumerable<Tensor> parameters,
                double lr,
                double momentum = 0,
                double dampening = 0,
                double weight_decay = 0,
                bool nesterov = false
            )
                : this(Numbered(parameters), lr, momentum, dampening, weight_decay, nesterov) { }

            public double momentum { get; }
            public double dampening { get; }
            public double weight_decay { get; }
            public bool nesterov { get; }

            protected override void Update(int index, Tensor parameter, Tensor gradient)
            {
                var direction = weight_decay != 0 ? gradient.add(parameter, weight_decay) : gradient;
                if (momentum != 0)
                {
                    var buffer = momentumBuffers[index];
                    if (buffer is null)
                        momentumBuffers[index] = buffer = direction.clone().DetachFromDisposeScope();
                    else
                        buffer.mul_(momentum).add_(direction, 1 - dampening);
                    if (nesterov)
                    {
                        var next = direction.add(buffer, momentum);
                        if (!ReferenceEquals(direction, gradient))
                            direction.Dispose();
                        direction = next;
                    }
                    else
                    {
                        if (!ReferenceEquals(direction, gradient))
                            direction.Dispose();
                        direction = buffer;
                    }
                }
                parameter.add_(direction, -lr);
                if (!ReferenceEquals(direction, gradient) && !ReferenceEquals(direction, momentumBuffers[index]))
                    direction.Dispose();
            }

            protected override IReadOnlyList<string> StateNames => momentum != 0 ? ["momentum_buffer"] : [];

            protected override Tensor? GetState(int index, string state) => momentumBuffers[index];

            protected override void SetState(int index, string state, Tensor value)
            {
                momentumBuffers[index]?.Dispose();
                momentumBuffers[index] = value;
            }
        }

        /// <summary>
        /// Adam with decoupled weight decay, as torch.optim.AdamW (1.13, single-tensor path), optionally AMSGrad.
        /// </summary>
        public sealed class AdamW : Optimizer
        {
            private readonly Tensor?[] steps;
            private readonly Tensor?[] expAvgs;
            private readonly Tensor?[] expAvgSqs;
            private readonly Tensor?[] maxExpAvgSqs;

            public AdamW(
                IEnumerable<(string name, Tensor parameter)> named_parameters,
                double lr = 1e-3,
                double beta1 = 0.9,
                double beta2 = 0.999,
                double eps = 1e-8,
                double weight_decay = 1e-2,
                bool amsgrad = false
            )
                : base(named_parameters, lr)
            {
                if (beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1)
                    throw new ArgumentOutOfRangeException(nameof(beta1), "betas must be in [0, 1)");
                (this.beta1, this.beta2, this.eps, this.weight_decay, this.amsgrad) = (
                    beta1,
                    beta2,
                    eps,
                    weight_decay,
                    amsgrad
                );
                steps = new Tensor?[parameters.Count];
                expAvgs = new Tensor?[parameters.Count];
                expAvgSqs = new Tensor?[parameters.Count];
                maxExpAvgSqs = new Tensor?[parameters.Count];
            }

            public AdamW(
                IEnumerable<Tensor> parameters,
                double lr = 1e-3,
                double beta1 = 0.9,
                double beta2 = 0.999,
                double eps = 1e-8,
                double weight_decay = 1e-2,
                bool amsgrad = false
            )
                : this(Numbered(parameters), lr, beta1, beta2, eps, weight_decay, amsgrad) { }

            public double beta1 { get; }
            public double beta2 { get; }
            public double eps { get; }
            public double weight_decay { get; }
            public bool amsgrad { get; }

            protected override void Update(int index, Tensor parameter, Tensor gradient)
            {
                if (steps[index] is null)
                {
                    steps[index] = zeros([], ScalarType.Float32, parameter.device).DetachFromDisposeScope();
                    expAvgs[index] = zeros_like(parameter).DetachFromDisposeScope();
                    expAvgSqs[index] = zeros_like(parameter).DetachFromDisposeScope();
                    if (amsgrad)
                        maxExpAvgSqs[index] = zeros_like(parameter).DetachFromDisposeScope();
                }
                var stepTensor = steps[index]!;
                var (expAvg, expAvgSq) = (expAvgs[index]!, expAvgSqs[index]!);
                stepTensor.add_(1);
                parameter.mul_(1 - lr * weight_decay);
                expAvg.mul_(beta1).add_(gradient, 1 - beta1);
                expAvgSq.mul_(beta2).addcmul_(gradient, gradient, 1 - beta2);
                var step = stepTensor.item<double>();
                var biasCorrection1 = 1 - Math.Pow(beta1, step);
                var biasCorrection2 = 1 - Math.Pow(beta2, step);
                var stepSize = lr / biasCorrection1;
                var biasCorrection2Sqrt = Math.Sqrt(biasCorrection2);
                var second = expAvgSq;
                if (amsgrad)
                {
                    var max = maxExpAvgSqs[index] ??= zeros_like(parameter).DetachFromDisposeScope();
                    using var larger = max.maximum(expAvgSq);
                    max.copy_(larger);
                    second = max;
                }
                using var root = second.sqrt();
                using var denom = root.div(biasCorrection2Sqrt);
                denom.add_(eps);
                parameter.addcdiv_(expAvg, denom, -stepSize);
            }

            protected override IReadOnlyList<string> StateNames =>
                amsgrad ? ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"] : ["step", "exp_avg", "exp_avg_sq"];

            protected override Tensor? GetState(int index, string state) =>
                state switch
                {
                    "step" => steps[index],
                    "exp_avg" => expAvgs[index],
                    "exp_avg_sq" => expAvgSqs[index],
                    _ => maxExpAvgSqs[index],
                };

            protected override void SetState(int index, string state, Tensor value)
            {
                var slots = state switch
                {
                    "step" => steps,
                    "exp_avg" => expAvgs,
                    "exp_avg_sq" => expAvgSqs,
                    _ => maxExpAvgSqs,
                };
                slots[index]?.Dispose();
                slots[index] = value;
            }
        }

        /// <summary>
        /// torch.optim.lr_scheduler: closed-form schedules over the optimiser's initial learning rate.
        /// </summary>
        public static class lr_scheduler
        {
            /// <summary>
            /// Sets the optimiser's lr for epoch 0 at construction and for the next epoch on each <see cref="step"/>.
            /// </summary>
            public abstract class LRScheduler
            {
                protected LRScheduler(Optimizer optimizer)
                {
                    this.optimizer = optimizer;
                    optimizer.lr = lr_at(0);
                }

                public Optimizer optimizer { get; }
                public int last_epoch { get; private set; }

                /// <summary>The learning rate this schedule gives at <paramref name="epoch"/>.</summary>
                public abstract double lr_at(int epoch);

                public void step()
                {
                    last_epoch++;
                    optimizer.lr = lr_at(last_epoch);
                }

                public double get_last_lr() => lr_at(last_epoch);

                /// <summary>
                /// Resumes at <paramref name="epoch"/> (a saved last_epoch) and sets the optimiser's lr accordingly.
                /// </summary>
                public void load_state(int epoch)
                {
                    if (epoch < 0)
                        throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "epoch must not be negative");
                    last_epoch = epoch;
                    optimizer.lr = lr_at(epoch);
                }
            }

            /// <summary>lr = initial * gamma^(epoch / step_size).</summary>
            public sealed class StepLR(Optimizer optimizer, int step_size, double gamma = 0.1) : LRScheduler(optimizer)
            {
                public override double lr_at(int epoch) => optimizer.initial_lr * Math.Pow(gamma, epoch / step_size);
            }

            /// <summary>lr = eta_min + (initial - eta_min) (1 + cos(pi epoch / T_max)) / 2.</summary>
            public sealed class CosineAnnealingLR(Optimizer optimizer, int T_max, double eta_min = 0)
                : LRScheduler(optimizer)
            {
                public override double lr_at(int epoch) =>
                    eta_min + (optimizer.initial_lr - eta_min) * (1 + Math.Cos(Math.PI * epoch / T_max)) / 2;
            }

            /// <summary>
            /// Linear warm-up: the factor goes from start_factor to end_factor over total_iters epochs, then stays.
            /// </summary>
            public sealed class LinearLR(
                Optimizer optimizer,
                double start_factor = 1.0 / 3,
                double end_factor = 1.0,
                int total_iters = 5
            ) : LRScheduler(optimizer)
            {
                public override double lr_at(int epoch) =>
                    optimizer.initial_lr
                    * (start_factor + (end_factor - start_factor) * Math.Min(epoch, total_iters) / total_iters);
            }

            /// <summary>
            /// Runs schedulers one after another, switching at the milestones; each restarts at its own epoch 0
            /// (warm-up then cosine).
            /// </summary>
            public sealed class SequentialLR : LRScheduler
            {
                private readonly IReadOnlyList<LRScheduler> schedulers;
                private readonly IReadOnlyList<int> milestones;

                public SequentialLR(
                    Optimizer optimizer,
                    IReadOnlyList<LRScheduler> schedulers,
                    IReadOnlyList<int> milestones
                )
                    : base(Validate(optimizer, schedulers, milestones))
                {
                    this.schedulers = schedulers;
                    this.milestones = milestones;
                    optimizer.lr = lr_at(0);
                }

                private static Optimizer Validate(
                    Optimizer optimizer,
                    IReadOnlyList<LRScheduler> schedulers,
                    IReadOnlyList<int> milestones
                )
                {
                    if (schedulers.Count == 0 || milestones.Count != schedulers.Count - 1)
                        throw new ArgumentException(
                            $"SequentialLR needs one milestone fewer than schedulers ({schedulers.Count} schedulers, {milestones.Count} milestones)"
                        );
                    if (schedulers.Any(s => s.optimizer != optimizer))
                        throw new ArgumentException("SequentialLR: every scheduler must drive the same optimiser");
                    for (var k = 1; k < milestones.Count; k++)
                        if (milestones[k] <= milestones[k - 1])
                            throw new ArgumentException("SequentialLR: milestones must increase");
                    return optimizer;
                }

                public override double lr_at(int epoch)
                {
                    // Called once by the base constructor before the fields are set.
                    if (schedulers is null)
                        return optimizer.lr;
                    var k = 0;
                    while (k < milestones.Count && epoch >= milestones[k])
                        k++;
                    return schedulers[k].lr_at(k == 0 ? epoch : epoch - milestones[k - 1]);
                }
            }
        }
    }
}
