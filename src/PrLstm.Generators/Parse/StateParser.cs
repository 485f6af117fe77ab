using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using PrLstm.Generators.Diagnostics;
using PrLstm.Generators.Emit;
using PrLstm.Generators.Model;

namespace PrLstm.Generators.Parse
{
    /// <summary>Reads a [State] struct into a <see cref="StateSpec"/>.</summary>
    internal static class StateParser
    {
        /// <summary>Parses the state; the spec is null when any diagnostic is an error.</summary>
        public static Result<StateSpec?> Parse(INamedTypeSymbol type, KnownTypes known)
        {
            var diagnostics = new List<DiagnosticInfo>();
            bool shapeOk = Declarations.CheckShape(type, "its Tensors record", diagnostics);
            if (shapeOk && type.Name == Names.TensorsRecord)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedTypeShape,
                    LocationInfo.From(type.Locations.FirstOrDefault()), type.Name,
                    "named Tensors, the name of the record the generator nests in it"));
                shapeOk = false;
            }

            var fields = new List<FieldSpec>();
            string? output = null;
            foreach (ISymbol member in type.GetMembers())
            {
                if (member.IsImplicitlyDeclared || member.IsStatic) continue;
                var location = LocationInfo.From(member.Locations.FirstOrDefault());
                string memberName = member.Name;
                switch (member)
                {
                    case IFieldSymbol field when known.IsVec(field.Type):
                        if (field.DeclaredAccessibility != Accessibility.Public)
                        {
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidStateField, location, memberName, type.Name,
                                "is not public"));
                            continue;
                        }
                        if (TensorsApi.Names.Contains(memberName))
                        {
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidStateField, location, memberName, type.Name,
                                "has the name of a member of the generated Tensors record; rename the field"));
                            continue;
                        }
                        string? size = Declarations.SizeOf(field);
                        if (size is null)
                        {
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidStateField, location, memberName, type.Name,
                                "has no [Size(\"...\")]"));
                            continue;
                        }
                        string? problem = Declarations.SizeNameProblem(size, known);
                        if (problem is not null)
                        {
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSizeName, location, size, type.Name + "."
                                + memberName, problem));
                            continue;
                        }
                        fields.Add(new FieldSpec(memberName, size));
                        if (KnownTypes.HasAttribute(field, KnownTypes.OutputAttribute))
                        {
                            if (output is not null)
                                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidStateField, location, memberName,
                                    type.Name, "is a second [Output] field (" + output + " is the first)"));
                            output ??= memberName;
                        }
                        break;
                    case IFieldSymbol field:
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidStateField, location, memberName, type.Name,
                            "has type " + Declarations.DisplayName(field.Type) + ", not Vec"));
                        break;
                    case IPropertySymbol:
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidStateField, location, memberName, type.Name,
                            "is a property"));
                        break;
                }
            }
            if (fields.Count == 0 && diagnostics.Count == 0)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidStateField,
                    LocationInfo.From(type.Locations.FirstOrDefault()), type.Name, type.Name, "declares no Vec fields"));

            bool ok = shapeOk && fields.Count > 0 && !diagnostics.Any(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error);
            StateSpec? spec = ok
                ? new StateSpec(Declarations.ToTypeRef(type), fields.ToEquatableArray(), output ?? fields[0].Name,
                    Declarations.ScopeNames(type, new[] { "torch" })) : null;
            return new Result<StateSpec?>(spec, diagnostics.ToEquatableArray());
        }
    }
}
