# 264: fileinto :copy then discard
require ["fileinto", "copy"];
fileinto :copy "Copy";
discard;
