;;; xenbake-mode.el --- major mode for xenbake configuration files (*.xb)
;; SPDX-License-Identifier: MIT

;;; Commentary:
;; Highlighting, comments and indentation for the language of xenbake.xb(5).
;; (require 'xenbake-mode) after putting this file on `load-path'.

;;; Code:

(defvar xenbake-mode-syntax-table
  (let ((table (make-syntax-table)))
    (modify-syntax-entry ?# "<" table)
    (modify-syntax-entry ?\n ">" table)
    (modify-syntax-entry ?\" "\"" table)
    (modify-syntax-entry ?\\ "\\" table)
    (modify-syntax-entry ?- "_" table)
    (modify-syntax-entry ?_ "_" table)
    table)
  "Syntax table for `xenbake-mode'.")

(defconst xenbake-font-lock-keywords
  `((,(regexp-opt '("let" "include" "owner") 'symbols) . font-lock-preprocessor-face)
    ;; language version 2: loops, templates, file and secret values
    (,(regexp-opt '("for" "in" "template" "use" "file" "secret" "sealed") 'symbols)
     . font-lock-keyword-face)
    (,(regexp-opt '("vm" "sr" "network" "pif" "pool") 'symbols) . font-lock-type-face)
    (,(regexp-opt '("uuid" "host" "optional" "vlan" "match" "once") 'symbols) . font-lock-builtin-face)
    (,(regexp-opt '("vm-data" "xenstore-data" "other-config" "hide-from-xencenter"
                    "name-label" "i18n-key" "name-description" "tag") 'symbols)
     . font-lock-keyword-face)
    (,(regexp-opt '("ebs" "local-hotplug-cd" "local-hotplug-disk" "local-storage"
                    "xenserver-tools") 'symbols)
     . font-lock-constant-face)
    ("\\${[A-Za-z_][A-Za-z0-9_-]*}" 0 font-lock-variable-name-face t)
    ("\\<let[ \t]+\\([A-Za-z_][A-Za-z0-9_-]*\\)" 1 font-lock-variable-name-face)
    ("\\<for[ \t]+\\([A-Za-z_][A-Za-z0-9_-]*\\)" 1 font-lock-variable-name-face)
    ("\\<\\(?:template\\|use\\)[ \t]+\\([A-Za-z_][A-Za-z0-9_-]*\\)" 1
     font-lock-function-name-face))
  "Highlighting for `xenbake-mode'.")

(defcustom xenbake-indent-offset 4
  "Indentation of statements inside a block."
  :type 'integer :group 'languages)

(defun xenbake-indent-line ()
  "Indent the current line by the depth of braces around it."
  (interactive)
  (let ((depth (save-excursion (car (syntax-ppss (line-beginning-position))))))
    (save-excursion
      (back-to-indentation)
      (when (and (> depth 0) (eq (char-after) ?\}))
        (setq depth (1- depth)))
      (indent-line-to (* depth xenbake-indent-offset)))
    (when (< (current-column) (current-indentation))
      (back-to-indentation))))

;;;###autoload
(define-derived-mode xenbake-mode prog-mode "xenbake"
  "Major mode for xenbake configuration files."
  (setq-local comment-start "# ")
  (setq-local comment-end "")
  (setq-local font-lock-defaults '(xenbake-font-lock-keywords))
  (setq-local indent-line-function #'xenbake-indent-line))

;;;###autoload
(add-to-list 'auto-mode-alist '("\\.xb\\'" . xenbake-mode))

(provide 'xenbake-mode)
;;; xenbake-mode.el ends here
