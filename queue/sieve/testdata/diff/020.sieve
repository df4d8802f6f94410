# 020: require list with duplicates
require ["fileinto", "fileinto"];
fileinto "Dup";
