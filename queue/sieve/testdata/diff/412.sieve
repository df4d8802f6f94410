# 412: string list with one element
require ["fileinto"];
fileinto "One";
