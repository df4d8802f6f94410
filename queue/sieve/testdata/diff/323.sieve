# 323: fileinto without require
fileinto "X";
