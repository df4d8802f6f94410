# 190: encoded-character malformed sequence stays literal
require ["fileinto", "encoded-character"];
fileinto "x${hex:zz}y";
