# 105: envelope null sender :is empty (RFC 5228 §5.4)
require ["envelope", "fileinto"];
if envelope :is "from" "" { fileinto "Null"; } else { fileinto "NotNull"; }
