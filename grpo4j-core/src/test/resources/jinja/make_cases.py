# Regenerates jinja2_cases.json: small templates rendered by Python jinja2 configured exactly as
# transformers' apply_chat_template configures it. ChatTemplateJinja2CasesTest renders the same
# templates with jinjava and compares byte for byte. Run: python3 make_cases.py > jinja2_cases.json
import json
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

def raise_exception(message):
    raise Exception(message)

def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception

MSGS = [{"role": "system", "content": "  Be brief.  "},
        {"role": "user", "content": "Grüße\n你好 🙂 \"quoted\" \\ back"},
        {"role": "assistant", "content": "ok"}]
VALUE = {"b": 1, "a": [1.5, 1e-05, 1e16, 2.0, -0.0, 123456789.125, True, None, "x\ty\u0001\u007f é 🙂"],
         "nested": {"empty_list": [], "empty_dict": {}, "z": 0.1}}

TEMPLATES = {
    "llama3_style": (
        "{{- bos_token }}\n"
        "{%- for message in messages %}\n"
        "    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}\n"
        "{%- endfor %}\n"
        "{%- if add_generation_prompt %}\n"
        "    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}\n"
        "{%- endif %}\n"),
    "plain_blocks_trim_lstrip": (
        "{# a comment #}\n"
        "{% for m in messages %}\n"
        "    {% if m.role == 'user' %}\n"
        "[{{ m.role }}] {{ m.content }}\n"
        "    {% else %}\n"
        "<{{ m.role }}>{{ m.content }}\n"
        "    {% endif %}\n"
        "{% endfor %}\n"
        "tail  {{ eos_token }}  \n"),
    "loop_controls_and_namespace": (
        "{%- set ns = namespace(count=0) %}\n"
        "{%- for m in messages %}\n"
        "    {%- if m.role == 'system' %}{% continue %}{% endif %}\n"
        "    {%- set ns.count = ns.count + 1 %}\n"
        "    {{- loop.index0 }}:{{ m.role }}{{ ',' if not loop.last }}\n"
        "    {%- if m.role == 'user' %}{% break %}{% endif %}\n"
        "{%- endfor %}\n"
        "{{- ' n=' ~ ns.count ~ ' len=' ~ (messages | length) }}"),
    "tojson_default": "{{ value | tojson }}",
    "tojson_indent_sorted": "{{ value | tojson(indent=2, sort_keys=true) }}",
    "tojson_ascii_compact": "{{ value | tojson(ensure_ascii=true, separators=(',', ':')) }}",
    "tojson_messages": "{% for m in messages %}{{ m | tojson }}\n{% endfor %}",
    "dict_iteration": "{% for k in value %}{{ k }};{% endfor %}|{% for k, v in value.nested.items() %}{{ k }}={{ v | tojson }};{% endfor %}",
    "string_tests": "{% for m in messages %}{{ 'str' if m.content is string }} {{ m.role | upper }} {{ m.content | length }} {{ messages | length }} {{ m | length }}\n{% endfor %}",
    "crlf_and_trailing_newline": "{% for m in messages %}\r\n  {{- m.role }}\r\n{% endfor %}\rend\n",
}

cases = []
for name, template in TEMPLATES.items():
    for agp in (False, True):
        ctx = dict(messages=MSGS, add_generation_prompt=agp, bos_token="<s>", eos_token="</s>", value=VALUE)
        cases.append({"name": name, "template": template, "add_generation_prompt": agp,
                      "expected": env.from_string(template).render(**ctx)})
print(json.dumps({"messages": MSGS, "value": VALUE, "cases": cases}, ensure_ascii=False, indent=1))
