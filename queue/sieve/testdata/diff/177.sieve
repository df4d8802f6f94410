# 177: invalid variable reference syntax is literal
require ["fileinto", "variables"];
fileinto "a${b.}c${}d${1x}";
