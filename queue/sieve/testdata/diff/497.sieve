# 497: list sorter with variables
require ["fileinto", "variables", "mailbox"];
if header :matches "list-id" "*<*.lists.example.org>" { fileinto :create "Lists.${2}"; stop; }
fileinto "Other";
