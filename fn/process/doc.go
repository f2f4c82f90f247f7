// Package process is the KRM function: it reads the AuthConfig from a
// ResourceList, validates it, generates the components and writes them into
// the list in one of two modes.
//
// Components mode (kpt, the CLI): the components become files under
// components/<name>/ through path annotations; objects they patch that are in
// the package are patched in place, and the rest get inline kustomize patches.
//
// Resources mode (kustomize generators/transformers, which accept only
// resources): the generated resources join the stream and the patch targets
// in the stream are patched in place.
package process
