// Optional native parts after `npm install`: ONNX Runtime's CUDA provider where there is internet and a GPU.
// Each step may fail offline; the app detects what it has at run time and says which engine it uses.
console.log('maskloop: postinstall (optional native parts) skipped for now');
