# 261: fileinto :copy keeps the implicit keep
require ["fileinto", "copy"];
fileinto :copy "Copy";
