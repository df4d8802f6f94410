# 155: unknown variable is empty
require ["fileinto", "variables"];
fileinto "a${nothing}b";
