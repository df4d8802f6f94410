# 272: reject and fileinto conflict: runtime error
require ["reject", "fileinto"];
fileinto "X";
reject "no";
