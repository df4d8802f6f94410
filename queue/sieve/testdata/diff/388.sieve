# 388: fileinto :copy and keep
require ["fileinto", "copy"];
fileinto :copy "Copy";
keep;
