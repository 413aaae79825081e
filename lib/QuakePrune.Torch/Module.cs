namespace QuakePrune.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// A trainable parameter: a detached copy-free alias of <paramref name="data"/> that requires grad.
        /// </summary>
        public static Tensor Parameter(Tensor data, bool requires_grad = true) =>
            data.requires_grad_(requires_grad).DetachFromDisposeScope();

        /// <summary>
        /// The base of every layer and model, as torch.nn.Module: parameters, buffers and children registered by
        /// name (in registration order), reported with PyTorch's dotted names ("layer1.0.conv1.weight").
        /// Registered tensors belong to the module (never to a dispose scope); Dispose frees them.
        /// </summary>
        public abstract class Module : IDisposable
        {
            private readonly OrderedDictionary<string, Tensor> ownParameters = new();
            private readonly OrderedDictionary<string, Tensor> ownBuffers = new();
            private readonly HashSet<string> nonPersistentBuffers = [];
            private readonly OrderedDictionary<string, Module> ownChildren = new();

            public bool training { get; private set; } = true;

            private static void CheckName(string name, string what)
            {
                if (string.IsNullOrEmpty(name) || name.Contains('.'))
                    throw new ArgumentException(
                        $"{what} name '{name}' must be non-empty and contain no '.'",
                        nameof(name)
                    );
            }

            private void CheckFree(string name, string what)
            {
                if (
                    (what != "parameter" && ownParameters.ContainsKey(name))
                    || (what != "buffer" && ownBuffers.ContainsKey(name))
                    || (what != "module" && ownChildren.ContainsKey(name))
                )
                    throw new ArgumentException(
                        $"{GetType().Name}: '{name}' is already registered as another kind of member than a {what}"
                    );
            }

            /// <summary>
            /// Registers (or replaces) a parameter; it is set to require grad and leaves any dispose scope.
            /// </summary>
            public Tensor register_parameter(string name, Tensor parameter)
            {
                CheckName(name, "parameter");
                CheckFree(name, "parameter");
                ownParameters[name] = Parameter(parameter);
                return parameter;
            }

            /// <summary>
            /// Registers (or replaces) a buffer: state saved in the state dict (unless not persistent) but not trained.
            /// </summary>
            public Tensor register_buffer(string name, Tensor buffer, bool persistent = true)
            {
                CheckName(name, "buffer");
                CheckFree(name, "buffer");
                ownBuffers[name] = buffer.DetachFromDisposeScope();
                if (persistent)
                    nonPersistentBuffers.Remove(name);
                else
                    nonPersistentBuffers.Add(name);
                return buffer;
            }

            /// <summary>Registers (or replaces) a child module; its members appear under "name.".</summary>
            public T register_module<T>(string name, T module)
                where T : Module
            {
                CheckName(name, "module");
                CheckFree(name, "module");
                ownChildren[name] = module;
                return module;
            }

            public Tensor get_parameter(string target) =>
                Owner(target, out var leaf).ownParameters.TryGetValue(leaf, out var p)
                    ? p
                    : throw new KeyNotFoundException($"{GetType().Name} has no parameter '{target}'");

            public Tensor get_buffer(string target) =>
                Owner(target, out var leaf).ownBuffers.TryGetValue(leaf, out var b)
                    ? b
                    : throw new KeyNotFoundException($"{GetType().Name} has no buffer '{target}'");

            public Module get_submodule(string target)
            {
                if (target.Length == 0)
                    return this;
                var module = this;
                foreach (var part in target.Split('.'))
                    module = module.ownChildren.TryGetValue(part, out var child)
                        ? child
                        : throw new KeyNotFoundException($"{GetType().Name} has no submodule '{target}'");
                return module;
            }

            /// <summary>The module holding a dotted member name, and the last part of the name.</summary>
            private Module Owner(string target, out string leaf)
            {
                var dot = target.LastIndexOf('.');
                leaf = target[(dot + 1)..];
                return dot < 0 ? this : get_submodule(target[..dot]);
            }

            public IEnumerable<(string name, Module module)> named_children() =>
                ownChildren.Select(c => (c.Key, c.Value));

            public IEnumerable<Module> children() => ownChildren.Values;

            /// <summary>This module (name "") and every descendant, depth first, in registration order.</summary>
            public IEnumerable<(string name, Module module)> named_modules(string prefix = "")
            {
                yield return (prefix, this);
                foreach (var (name, child) in ownChildren)
                foreach (var item in child.named_modules(prefix.Length == 0 ? name : prefix + "." + name))
                    yield return item;
            }

            public IEnumerable<Module> modules() => named_modules().Select(m => m.module);

            public IEnumerable<(string name, Tensor parameter)> named_parameters(bool recurse = true) =>
                Members(m => m.ownParameters.Select(p => (p.Key, p.Value)), recurse);

            public IEnumerable<Tensor> parameters(bool recurse = true) =>
                named_parameters(recurse).Select(p => p.parameter);

            public IEnumerable<(string name, Tensor buffer)> named_buffers(bool recurse = true) =>
                Members(m => m.ownBuffers.Select(b => (b.Key, b.Value)), recurse);

            public IEnumerable<Tensor> buffers(bool recurse = true) => named_buffers(recurse).Select(b => b.buffer);

            private IEnumerable<(string, Tensor)> Members(Func<Module, IEnumerable<(string, Tensor)>> own, bool recurse)
            {
                var modules = recurse ? named_modules() : [("", this)];
                foreach (var (prefix, module) in modules)
                foreach (var (name, tensor) in own(module))
                    yield return (prefix.Length == 0 ? name : prefix + "." + name, tensor);
            }

            /// <summary>The number of parameter elements (trainable or not).</summary>
            public long parameter_count() => parameters().Sum(p => p.numel());

            public virtual Module train(bool mode = true)
            {
                foreach (var module in modules())
                    module.training = mode;
                return this;
            }

            public Module eval() => train(false);

            /// <summary>
            /// Calls <paramref name="action"/> on every descendant, then on this module (as PyTorch's apply; for custom
            /// initialisation).
            /// </summary>
            public Module apply(Action<Module> action)
            {
                foreach (var child in ownChildren.Values)
                    child.apply(action);
                action(this);
                return this;
            }

            /// <summary>Freezes (false) or unfreezes every parameter.</summary>
            public Module requires_grad_(bool requires_grad = true)
            {
                foreach (var p in parameters())
                    p.requires_grad = requires_grad;
                return this;
            }

            /// <summary>Clears (set_to_none) or zeroes every parameter's gradient.</summary>
            public void zero_grad(bool set_to_none = true)
            {
                foreach (var p in parameters())
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

            /// <summary>Moves (or converts) every parameter and buffer, keeping names and requires_grad.</summary>
            public Module to(Device device) => Apply(t => t.to(device));

            /// <summary>
            /// Converts floating-point parameters and buffers to <paramref name="dtype"/>; integral buffers keep
            /// theirs.
            /// </summary>
            public Module to(ScalarType dtype) => Apply(t => is_floating_point(t.dtype) ? t.to(dtype) : t.alias());

            private Module Apply(Func<Tensor, Tensor> convert)
            {
                using var _ = no_grad();
                foreach (var module in modules())
                {
                    foreach (var name in module.ownParameters.Keys.ToList())
                    {
                        var old = module.ownParameters[name];
                        var converted = convert(old);
                        module.ownParameters[name] = Parameter(converted, old.requires_grad);
                        old.Dispose();
                    }
                    foreach (var name in module.ownBuffers.Keys.ToList())
                    {
                        var old = module.ownBuffers[name];
                        module.ownBuffers[name] = convert(old).DetachFromDisposeScope();
                        old.Dispose();
                    }
                }
                return this;
            }

            /// <summary>
            /// Persistent parameters and buffers by dotted name, in registration order. The tensors are the module's
            /// own: do not dispose them.
            /// </summary>
            public OrderedDictionary<string, Tensor> state_dict()
            {
                var result = new OrderedDictionary<string, Tensor>();
                foreach (var (prefix, module) in named_modules())
                {
                    var dot = prefix.Length == 0 ? "" : prefix + ".";
                    foreach (var (name, p) in module.ownParameters)
                        result.Add(dot + name, p);
                    foreach (var (name, b) in module.ownBuffers)
                        if (!module.nonPersistentBuffers.Contains(name))
                            result.Add(dot + name, b);
                }
                return result;
            }

            /// <summary>
            /// Copies tensors into the module's parameters and buffers (converting dtype and device). A mis-shaped
            /// tensor is always an error; with <paramref name="strict"/>, so are missing and unexpected names. Nothing
            /// is copied when it throws.
            /// </summary>
            public LoadResult load_state_dict(IReadOnlyDictionary<string, Tensor> source, bool strict = true)
            {
                var own = state_dict();
                var missing = own.Keys.Where(k => !source.ContainsKey(k)).ToList();
                var unexpected = source.Keys.Where(k => !own.ContainsKey(k)).ToList();
                var misShaped = new List<string>();
                foreach (var (name, target) in own)
                {
                    if (!source.TryGetValue(name, out var value))
                        continue;
                    var (want, got) = (target.shape, value.shape);
                    if (!want.SequenceEqual(got))
                        misShaped.Add(
                            $"{name}: checkpoint shape [{string.Join(", ", got)}], model shape [{string.Join(", ", want)}]"
                        );
                }
                var problems = new List<string>();
                if (misShaped.Count > 0)
                    problems.Add("size mismatch for " + string.Join("; ", misShaped));
                if (strict && missing.Count > 0)
                    problems.Add("missing keys: " + string.Join(", ", missing));
                if (strict && unexpected.Count > 0)
                    problems.Add("unexpected keys: " + string.Join(", ", unexpected));
                if (problems.Count > 0)
                    throw new InvalidDataException(
                        $"error loading the state dict of {GetType().Name}: {string.Join(". ", problems)}"
                    );
                using (no_grad())
                {
                    foreach (var (name, target) in own)
                        if (source.TryGetValue(name, out var value))
                            target.copy_(value);
                }
                return new LoadResult(missing, unexpected);
            }

            /// <summary>
            /// Writes the state dict as safetensors (atomically), with string metadata (architecture,
            /// preprocessing...).
            /// </summary>
            public void save(string path, IReadOnlyDictionary<string, string>? metadata = null) =>
                Safetensors.Save(path, state_dict(), metadata);

            /// <summary>
            /// Loads a safetensors state dict written by <see cref="save"/> (or by Python); returns its metadata.
            /// </summary>
            public IReadOnlyDictionary<string, string> load(string path, bool strict = true)
            {
                using var scope = NewDisposeScope();
                var file = Safetensors.LoadTensors(path);
                try
                {
                    load_state_dict(file.Tensors, strict);
                }
                catch (InvalidDataException e)
                {
                    throw new InvalidDataException($"{path}: {e.Message}", e);
                }
                return file.Metadata;
            }

            public virtual void Dispose()
            {
                foreach (var child in ownChildren.Values)
                    child.Dispose();
                foreach (var p in ownParameters.Values)
                    p.Dispose();
                foreach (var b in ownBuffers.Values)
                    b.Dispose();
                GC.SuppressFinalize(this);
            }
        }

        /// <summary>The names load_state_dict did not match (only non-empty when strict is false).</summary>
        public sealed record LoadResult(IReadOnlyList<string> missing_keys, IReadOnlyList<string> unexpected_keys);

        /// <summary>A module with a typed forward; call it with <see cref="call"/> (or forward).</summary>
        public abstract class Module<TIn, TOut> : Module
        {
            public abstract TOut forward(TIn input);

            public TOut call(TIn input) => forward(input);
        }
    }
}
