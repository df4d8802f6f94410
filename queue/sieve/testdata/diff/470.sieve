# 470: encoded-character with an empty hex sequence
require ["fileinto", "encoded-character"];
fileinto "x${hex:}y";
