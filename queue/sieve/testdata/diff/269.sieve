# 269: fileinto :copy and fileinto to the same mailbox
require ["fileinto", "copy"];
fileinto :copy "Box";
fileinto "Box";
